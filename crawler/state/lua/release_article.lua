-- ARGV: prefix, me, id
-- Runs with helpers.lua prepended (crawler.state.redis_store._script).
local prefix, me, id = ARGV[1], ARGV[2], ARGV[3]
local owner, h = claim_owner(prefix, id)
if owner ~= me then return 0 end
clear_claim(prefix, id, h)
return 1
