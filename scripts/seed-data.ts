/**
 * What `npm run seed` builds (scripts/seed.ts): a small apparel and homeware shop in EUR
 * (prices include tax) and USD. Fixed SKUs, names and codes, so a second run finds them.
 * Images are https URLs with alt text (placeholders on example.com: the shop serves no files).
 */
const image = (slug: string, alt: string, position = 0) => ({ url: `https://images.example.com/seed/${slug}.jpg`, alt, position });

interface SeedProduct {
  sku: string;
  name: string;
  description: string;
  base_price: string;
  currency: string;
  category: string;
  weight_grams: number;
  tax_class: 'standard' | 'reduced' | 'zero';
  images: Array<{ url: string; alt: string; position: number }>;
  variants?: Array<{ sku: string; name: string; options: Record<string, string>; price?: string }>;
  /** Units received per location, for every variant (or the product itself without variants). */
  stock: Record<string, number>;
}

const sizes = (sku: string, name: string, colours: string[], list: string[]) =>
  colours.flatMap((colour) => list.map((size) => ({ sku: `${sku}-${colour.slice(0, 3).toUpperCase()}-${size}`, name: `${name}, ${colour}, ${size}`, options: { colour, size } })));

const products: SeedProduct[] = [
  {
    sku: 'SEED-HOODIE', name: 'Organic Cotton Hoodie', description: 'Heavyweight hoodie in brushed organic cotton.', base_price: '59.00', currency: 'EUR',
    category: 'Apparel', weight_grams: 650, tax_class: 'standard',
    images: [image('hoodie-front', 'Grey hoodie, front view'), image('hoodie-back', 'Grey hoodie, back view', 1)],
    variants: sizes('SEED-HOODIE', 'Organic Cotton Hoodie', ['Grey', 'Navy'], ['S', 'M', 'L']),
    stock: { 'wh-berlin': 20, 'wh-rotterdam': 10 },
  },
  {
    sku: 'SEED-TEE', name: 'Everyday T-Shirt', description: 'Soft jersey T-shirt with a relaxed fit.', base_price: '19.00', currency: 'EUR',
    category: 'Apparel', weight_grams: 180, tax_class: 'standard',
    images: [image('tee', 'White T-shirt on a hanger')],
    variants: sizes('SEED-TEE', 'Everyday T-Shirt', ['White', 'Black'], ['S', 'M', 'L', 'XL']),
    stock: { 'wh-berlin': 40, 'wh-rotterdam': 25 },
  },
  {
    sku: 'SEED-BEANIE', name: 'Merino Beanie', description: 'Rib-knit merino wool beanie.', base_price: '24.00', currency: 'EUR',
    category: 'Accessories', weight_grams: 90, tax_class: 'standard',
    images: [image('beanie', 'Mustard beanie, folded')],
    variants: [
      { sku: 'SEED-BEANIE-MUS', name: 'Merino Beanie, mustard', options: { colour: 'Mustard' } },
      { sku: 'SEED-BEANIE-CHA', name: 'Merino Beanie, charcoal', options: { colour: 'Charcoal' } },
    ],
    stock: { 'wh-berlin': 30, 'wh-rotterdam': 15 },
  },
  {
    sku: 'SEED-MUG', name: 'Stoneware Mug', description: 'Hand-glazed stoneware mug, 350 ml.', base_price: '14.50', currency: 'EUR',
    category: 'Home', weight_grams: 420, tax_class: 'standard',
    images: [image('mug', 'Speckled blue stoneware mug')],
    stock: { 'wh-berlin': 60, 'wh-rotterdam': 40 },
  },
  {
    sku: 'SEED-COFFEE', name: 'Single-Origin Coffee Beans 250 g', description: 'Washed Ethiopian beans, medium roast.', base_price: '12.90', currency: 'EUR',
    category: 'Home', weight_grams: 260, tax_class: 'reduced',
    images: [image('coffee', 'Bag of coffee beans beside a cup')],
    stock: { 'wh-berlin': 80, 'wh-rotterdam': 50 },
  },
  {
    sku: 'SEED-BOOK', name: 'The Field Guide to Good Coffee', description: 'A paperback on brewing at home.', base_price: '18.00', currency: 'EUR',
    category: 'Books', weight_grams: 350, tax_class: 'reduced',
    images: [image('book', 'Paperback cover with a coffee illustration')],
    stock: { 'wh-berlin': 25, 'wh-rotterdam': 10 },
  },
  {
    sku: 'SEED-BOTTLE-US', name: 'Insulated Bottle 750 ml', description: 'Keeps drinks cold for 24 hours.', base_price: '32.00', currency: 'USD',
    category: 'Accessories', weight_grams: 380, tax_class: 'standard',
    images: [image('bottle', 'Matte green insulated bottle')],
    variants: [
      { sku: 'SEED-BOTTLE-US-GRN', name: 'Insulated Bottle, green', options: { colour: 'Green' } },
      { sku: 'SEED-BOTTLE-US-SND', name: 'Insulated Bottle, sand', options: { colour: 'Sand' }, price: '34.00' },
    ],
    stock: { 'wh-newark': 40, 'wh-reno': 30 },
  },
];

export const SEED = {
  categories: ['Apparel', 'Accessories', 'Home', 'Books'],
  products,
  shippingMethods: [
    { code: 'SEED-EU-STD', name: 'Standard (3–5 days)', countries: ['DE', 'NL', 'FR', 'AT', 'BE'], currency: 'EUR', rate_by: 'weight', rates: [{ up_to: 1000, price_minor: 495 }, { up_to: 5000, price_minor: 795 }, { up_to: null, price_minor: 1495 }], free_over_minor: 7500 },
    { code: 'SEED-EU-EXP', name: 'Express (next day)', countries: ['DE', 'NL'], currency: 'EUR', rate_by: 'weight', rates: [{ up_to: 2000, price_minor: 1290 }, { up_to: null, price_minor: 1990 }] },
    { code: 'SEED-US-STD', name: 'Ground', countries: ['US'], currency: 'USD', rate_by: 'order_value', rates: [{ up_to: 5000, price_minor: 695 }, { up_to: null, price_minor: 0 }] },
  ],
  taxRates: [
    { country: 'DE', tax_class: 'standard', rate_bp: 1900 },
    { country: 'DE', tax_class: 'reduced', rate_bp: 700 },
    { country: 'NL', tax_class: 'standard', rate_bp: 2100 },
    { country: 'NL', tax_class: 'reduced', rate_bp: 900 },
    { country: 'FR', tax_class: 'standard', rate_bp: 2000 },
    { country: 'FR', tax_class: 'reduced', rate_bp: 550 },
    { country: 'AT', tax_class: 'standard', rate_bp: 2000 },
    { country: 'AT', tax_class: 'reduced', rate_bp: 1000 },
    { country: 'BE', tax_class: 'standard', rate_bp: 2100 },
    { country: 'BE', tax_class: 'reduced', rate_bp: 600 },
  ],
  welcomeCoupon: {
    code: 'WELCOME10', name: 'Welcome: 10 % off your first order', condition: { currency: 'EUR', min_subtotal_minor: 2000 },
    action: { type: 'percentage', basis_points: 1000 }, per_customer_limit: 1,
  },
};
