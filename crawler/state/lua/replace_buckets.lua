-- ARGV: prefix, id, buckets(csv)
-- Runs with helpers.lua prepended (crawler.state.redis_store._script).
local prefix, id = ARGV[1], ARGV[2]
for _, item in ipairs(split(redis.call('GET', prefix .. ':bands:' .. id))) do bucket_remove(prefix, item, id) end
for _, item in ipairs(split(ARGV[3])) do bucket_add(prefix, item, id) end
if ARGV[3] == '' then redis.call('DEL', prefix .. ':bands:' .. id)
else redis.call('SET', prefix .. ':bands:' .. id, ARGV[3]) end
return 1
