-- ARGV: prefix, id, content_hash, version, url_key, site, recorded_at, score, has_signature, signature,
-- buckets(csv), n_url_keys, url_keys...
-- Runs with helpers.lua prepended (crawler.state.redis_store._script).
local prefix, id, h, version = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local art = prefix .. ':art:' .. id
local stored = tonumber(redis.call('HGET', art, 'v') or '0')
if version >= stored then
    redis.call('DEL', art)
    redis.call('HSET', art, 'h', h, 'v', ARGV[4], 't', ARGV[7])
    if ARGV[5] ~= '' then redis.call('HSET', art, 'u', ARGV[5]) end
    if ARGV[6] ~= '' then redis.call('HSET', art, 's', ARGV[6]) end
end
local n_keys = tonumber(ARGV[12])
for i = 1, n_keys do redis.call('SET', prefix .. ':url:' .. ARGV[12 + i], id, 'NX') end
redis.call('SET', prefix .. ':hash:' .. h, id, 'NX')
if ARGV[9] == '1' then
    redis.call('SET', prefix .. ':sig:' .. id, ARGV[10])
    redis.call('ZADD', prefix .. ':sigtime', ARGV[8], id)
    for _, item in ipairs(split(redis.call('GET', prefix .. ':bands:' .. id))) do bucket_remove(prefix, item, id) end
    for _, item in ipairs(split(ARGV[11])) do bucket_add(prefix, item, id) end
    redis.call('SET', prefix .. ':bands:' .. id, ARGV[11])
end
-- recorded: the article is no longer in flight
local _, claimed_hash = claim_owner(prefix, id)
clear_claim(prefix, id, claimed_hash)
return 1
