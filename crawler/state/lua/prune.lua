-- ARGV: prefix, cutoff score (exclusive), limit. Returns how many signatures were dropped.
-- Runs with helpers.lua prepended (crawler.state.redis_store._script).
local prefix, cutoff, limit = ARGV[1], ARGV[2], tonumber(ARGV[3])
local ids = redis.call('ZRANGEBYSCORE', prefix .. ':sigtime', '-inf', '(' .. cutoff, 'LIMIT', 0, limit)
for _, id in ipairs(ids) do
    for _, item in ipairs(split(redis.call('GET', prefix .. ':bands:' .. id))) do bucket_remove(prefix, item, id) end
    redis.call('DEL', prefix .. ':bands:' .. id, prefix .. ':sig:' .. id)
    redis.call('ZREM', prefix .. ':sigtime', id)
end
return #ids
