// Product templates the catalogue generator draws from: what a shelf in an Indian store holds,
// in which packs, at which MRP band (rupees), with the GST 2.0 rate where it differs from the
// category's. Brands are invented so the data never looks like a real company's.

import type { Category } from './catalog.js';

export type Unit = 'g' | 'kg' | 'ml' | 'L' | 'pc' | 'pair' | 'pack';

/** [pack size, lowest MRP in rupees, highest MRP in rupees] */
export type Pack = readonly [number, number, number];

export interface ItemTemplate {
  item: string;
  unit: Unit;
  packs: readonly Pack[];
  /** GST slab when it differs from the category's (e.g. nil-rated milk, 40% aerated drinks). */
  gst?: 0 | 5 | 18 | 40;
}

export interface CategoryItems {
  brands: readonly string[];
  /** Flavours, colours, sizes: what tells two SKUs of one brand and item apart. */
  variants: readonly string[];
  items: readonly ItemTemplate[];
}

const t = (
  item: string,
  unit: Unit,
  packs: readonly Pack[],
  gst?: 0 | 5 | 18 | 40,
): ItemTemplate => (gst === undefined ? { item, unit, packs } : { item, unit, packs, gst });

export const CATEGORY_ITEMS: Readonly<Record<Category, CategoryItems>> = {
  staples: {
    brands: ['Gharana', 'Kisan Kitchen', 'Annadata', 'Desi Roots', 'Shudh'],
    variants: ['', 'Premium', 'Organic', 'Value'],
    items: [
      t('Chakki Atta', 'kg', [
        [1, 50, 75],
        [5, 230, 320],
        [10, 440, 600],
      ]),
      t('Basmati Rice', 'kg', [
        [1, 110, 220],
        [5, 520, 980],
      ]),
      t('Sona Masoori Rice', 'kg', [
        [5, 320, 480],
        [10, 620, 900],
      ]),
      t('Toor Dal', 'kg', [[1, 140, 190]]),
      t('Moong Dal', 'kg', [[1, 120, 170]]),
      t('Chana Dal', 'g', [[500, 45, 70]]),
      t('Sunflower Oil', 'L', [
        [1, 130, 180],
        [5, 620, 850],
      ]),
      t('Mustard Oil', 'L', [[1, 150, 210]]),
      t('Sugar', 'kg', [
        [1, 45, 60],
        [5, 220, 290],
      ]),
      t('Iodised Salt', 'kg', [[1, 20, 30]], 0),
      t('Besan', 'g', [[500, 50, 75]]),
      t('Poha', 'g', [[500, 35, 60]]),
    ],
  },
  dairy_fresh: {
    brands: ['Gokul Fresh', 'Amrit Dairy', 'Nandini Farms', 'Sahyadri', 'Morning Pail'],
    variants: ['', 'Farm', 'Classic'],
    items: [
      t(
        'Toned Milk',
        'ml',
        [
          [500, 27, 30],
          [1000, 54, 60],
        ],
        0,
      ),
      t(
        'Full Cream Milk',
        'ml',
        [
          [500, 33, 36],
          [1000, 66, 72],
        ],
        0,
      ),
      t(
        'Paneer',
        'g',
        [
          [200, 85, 110],
          [500, 210, 260],
        ],
        0,
      ),
      t('Curd', 'g', [
        [400, 35, 50],
        [1000, 75, 95],
      ]),
      t('Butter', 'g', [
        [100, 56, 62],
        [500, 270, 295],
      ]),
      t('Ghee', 'ml', [
        [500, 300, 380],
        [1000, 590, 720],
      ]),
      t('Cheese Slices', 'g', [[200, 130, 160]]),
      t('Whole Wheat Bread', 'g', [[400, 45, 60]], 0),
      t(
        'Eggs',
        'pc',
        [
          [6, 42, 60],
          [30, 190, 260],
        ],
        0,
      ),
      t('Lassi', 'ml', [[200, 20, 30]]),
    ],
  },
  packaged_food: {
    brands: ['Crunchy Craft', 'Masala Mill', 'Haldi Ram Bhog', 'Tiffin Time', 'Snackwala'],
    variants: ['', 'Classic', 'Spicy', 'Masala', 'Cream', 'Family'],
    items: [
      t('Glucose Biscuits', 'g', [
        [250, 25, 40],
        [800, 80, 110],
      ]),
      t('Cream Biscuits', 'g', [[120, 20, 35]]),
      t('Aloo Bhujia', 'g', [
        [200, 50, 70],
        [1000, 220, 290],
      ]),
      t('Instant Noodles', 'g', [
        [70, 14, 15],
        [280, 56, 60],
      ]),
      t('Cornflakes', 'g', [[475, 180, 230]]),
      t('Tomato Ketchup', 'g', [[950, 120, 160]]),
      t('Milk Chocolate', 'g', [
        [50, 40, 60],
        [150, 110, 160],
      ]),
      t('Potato Chips', 'g', [
        [52, 20, 20],
        [150, 50, 60],
      ]),
      t('Ready-to-Eat Dal Makhani', 'g', [[300, 99, 140]]),
      t('Garam Masala', 'g', [[100, 70, 95]]),
    ],
  },
  beverages: {
    brands: ['Chai Bagaan', 'Kaapi Estate', 'Fizzup', 'Tropica', 'Himdhara'],
    variants: ['', 'Gold', 'Mango', 'Lemon', 'Original'],
    items: [
      t('Assam Tea', 'g', [
        [250, 120, 160],
        [1000, 450, 600],
      ]),
      t('Filter Coffee', 'g', [[200, 150, 220]]),
      t('Instant Coffee', 'g', [[100, 250, 340]]),
      t(
        'Cola',
        'ml',
        [
          [750, 40, 45],
          [2250, 95, 110],
        ],
        40,
      ),
      t('Energy Drink', 'ml', [[250, 110, 125]], 40),
      t('Fruit Juice', 'ml', [[1000, 110, 140]]),
      t('Packaged Drinking Water', 'L', [
        [1, 20, 20],
        [20, 90, 120],
      ]),
      t('Health Drink Powder', 'g', [[500, 240, 300]]),
    ],
  },
  personal_care: {
    brands: ['Neem Tree', 'Silkveda', 'Aaroha', 'Kesar Glow', 'Urban Desi'],
    variants: ['', 'Herbal', 'Aloe', 'Sandal', 'Men'],
    items: [
      t('Bathing Soap', 'pc', [[4, 140, 220]]),
      t('Shampoo', 'ml', [
        [180, 120, 190],
        [340, 220, 330],
      ]),
      t('Toothpaste', 'g', [[150, 90, 130]]),
      t('Hair Oil', 'ml', [[200, 95, 160]]),
      t('Face Wash', 'ml', [[100, 140, 250]]),
      t('Deodorant', 'ml', [[150, 190, 290]], 18),
      t('Sanitary Pads', 'pc', [[15, 80, 140]], 0),
      t('Talcum Powder', 'g', [[300, 120, 180]]),
    ],
  },
  home_care: {
    brands: ['Ujala Home', 'Chamak', 'Safai Plus', 'Swachh', 'Dhulai'],
    variants: ['', 'Lemon', 'Lavender', 'Matic'],
    items: [
      t('Detergent Powder', 'kg', [
        [1, 90, 140],
        [4, 330, 480],
      ]),
      t('Liquid Detergent', 'L', [
        [1, 190, 260],
        [2, 350, 480],
      ]),
      t('Dishwash Bar', 'g', [[500, 40, 60]]),
      t('Dishwash Gel', 'ml', [[750, 140, 200]]),
      t('Floor Cleaner', 'L', [[1, 180, 240]]),
      t('Toilet Cleaner', 'ml', [[1000, 180, 230]]),
      t('Mosquito Repellent Refill', 'ml', [[45, 85, 99]]),
      t('Agarbatti', 'pack', [[1, 50, 120]], 5),
    ],
  },
  baby_care: {
    brands: ['Nanha', 'Little Lotus', 'Komal', 'Bal Sakha'],
    variants: ['', 'Small', 'Medium', 'Large'],
    items: [
      t('Diaper Pants', 'pc', [
        [24, 399, 599],
        [62, 899, 1299],
      ]),
      t('Baby Wipes', 'pc', [[72, 149, 249]]),
      t('Baby Lotion', 'ml', [[200, 199, 299]]),
      t('Infant Cereal', 'g', [[300, 240, 320]]),
      t('Feeding Bottle', 'ml', [[250, 199, 499]]),
      t('Baby Soap', 'g', [[75, 55, 85]]),
    ],
  },
  apparel: {
    brands: ['Rangreza', 'Khadi Street', 'Urban Loom', 'Desi Denim', 'Sutradhar'],
    variants: ['S', 'M', 'L', 'XL', 'XXL'],
    items: [
      t("Men's Cotton T-Shirt", 'pc', [[1, 299, 999]]),
      t("Men's Slim Jeans", 'pc', [[1, 999, 2999]]),
      t("Women's Cotton Kurta", 'pc', [[1, 499, 2499]]),
      t("Women's Silk Saree", 'pc', [[1, 1499, 7999]]),
      t("Kids' Ethnic Set", 'pc', [[1, 599, 1999]]),
      t("Men's Formal Shirt", 'pc', [[1, 799, 2799]]),
      t('Cotton Socks (3 pairs)', 'pack', [[1, 199, 399]]),
    ],
  },
  footwear: {
    brands: ['Chappal Ghar', 'Stride India', 'Paduka', 'Kolhapuri Co'],
    variants: ['UK 6', 'UK 7', 'UK 8', 'UK 9', 'UK 10'],
    items: [
      t("Men's Sports Shoes", 'pair', [[1, 999, 3999]]),
      t("Women's Sandals", 'pair', [[1, 399, 1499]]),
      t('Flip Flops', 'pair', [[1, 149, 399]]),
      t('Kolhapuri Chappal', 'pair', [[1, 499, 1499]]),
      t('School Shoes', 'pair', [[1, 599, 1299]]),
    ],
  },
  home_kitchen: {
    brands: ['Rasoi Ratna', 'Steelkraft', 'Ghar Sansar', 'Pital Works'],
    variants: ['', 'Classic', 'Deluxe'],
    items: [
      t('Pressure Cooker', 'L', [
        [3, 1199, 1999],
        [5, 1599, 2799],
      ]),
      t('Steel Tiffin Box', 'pc', [[3, 399, 899]]),
      t('Non-stick Tawa', 'pc', [[1, 599, 1499]]),
      t('Glass Tumbler Set', 'pc', [[6, 249, 599]]),
      t('Cotton Bedsheet Double', 'pc', [[1, 699, 1999]]),
      t('Mixer Grinder 750W', 'pc', [[1, 2999, 5999]], 18),
      t('Storage Container Set', 'pc', [[5, 399, 999]]),
    ],
  },
  electronics: {
    brands: ['Volta', 'Bijli', 'Sonix India', 'Tarang'],
    variants: ['', 'Black', 'White'],
    items: [
      t('LED TV 43 inch', 'pc', [[1, 21999, 39999]]),
      t('Split AC 1.5 ton', 'pc', [[1, 32999, 52999]]),
      t('Smartphone 128GB', 'pc', [[1, 9999, 24999]]),
      t('Bluetooth Earbuds', 'pc', [[1, 999, 3999]]),
      t('LED Bulb 9W', 'pack', [[1, 99, 199]]),
      t('Electric Kettle', 'pc', [[1, 799, 1799]]),
      t('Power Bank 10000mAh', 'pc', [[1, 899, 1999]]),
      t('Steam Iron', 'pc', [[1, 899, 2499]]),
    ],
  },
  festive: {
    brands: ['Utsav', 'Deepmala', 'Mithai Mahal', 'Shubh Labh'],
    variants: ['', 'Gift', 'Premium'],
    items: [
      t('Kaju Katli', 'g', [[500, 450, 650]]),
      t('Soan Papdi', 'g', [[500, 150, 250]]),
      t('Dry Fruit Gift Box', 'g', [[500, 599, 1299]]),
      t('Clay Diyas (12)', 'pack', [[1, 99, 249]]),
      t('LED String Lights', 'pc', [[1, 199, 699]], 18),
      t('Rangoli Colours', 'pack', [[1, 99, 199]]),
      t('Puja Thali Set', 'pc', [[1, 299, 999]]),
      t('Gift Hamper', 'pc', [[1, 799, 2999]]),
    ],
  },
};
