-- ARGV: prefix, me, url_key, lease_s, heartbeat_s. 1 when this worker holds the URL now.
-- Runs with helpers.lua prepended (crawler.state.redis_store._script).
local prefix, me, key = ARGV[1], ARGV[2], ARGV[3]
redis.call('SET', prefix .. ':worker:' .. me, '1', 'EX', tonumber(ARGV[5]))
local owner = redis.call('GET', prefix .. ':furl:' .. key)
if owner and owner ~= me and alive(prefix, owner, me) then return 0 end
redis.call('SET', prefix .. ':furl:' .. key, me, 'EX', tonumber(ARGV[4]))
return 1
