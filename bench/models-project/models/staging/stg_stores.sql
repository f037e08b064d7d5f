select store_id, city, region, format
from {{ source('shop', 'stores') }}
