select sku, category, brand
from {{ source('shop', 'products') }}
