-- ARGV: prefix, me, lock token, claim(0/1), id, content_hash, lease_s, signature, buckets(csv), leftovers(csv)
-- The write half of RedisStateStore.claim_article: cleaners.dedup.claim_check decided, in Python, under
-- the claim lock; this stores the outcome, only while that lock is still ours (else 0: check again).
-- Runs with helpers.lua prepended (crawler.state.redis_store._script).
local prefix, me, token = ARGV[1], ARGV[2], ARGV[3]
local lock = prefix .. ':claimlock'
if redis.call('GET', lock) ~= token then return 0 end
local buckets = split(ARGV[9])
-- candidates the check found in a bucket with neither a claim nor a record: a dead claim's leftovers
for _, candidate in ipairs(split(ARGV[10])) do
    if redis.call('EXISTS', prefix .. ':claim:' .. candidate) == 0
        and redis.call('EXISTS', prefix .. ':art:' .. candidate) == 0 then
        for _, item in ipairs(buckets) do bucket_remove(prefix, item, candidate) end
    end
end
if ARGV[4] == '1' then
    local id, h, lease, signature = ARGV[5], ARGV[6], tonumber(ARGV[7]), ARGV[8]
    local owner, claimed_hash = claim_owner(prefix, id)
    if owner then clear_claim(prefix, id, claimed_hash) end  -- ours, or a dead process's
    redis.call('SET', prefix .. ':claim:' .. id, me .. '|' .. h, 'EX', lease)
    redis.call('SET', prefix .. ':chash:' .. h, id, 'EX', lease)
    if signature ~= '' then
        redis.call('SET', prefix .. ':csig:' .. id, signature, 'EX', lease)
        redis.call('SET', prefix .. ':cbands:' .. id, ARGV[9], 'EX', lease)
        for _, item in ipairs(buckets) do bucket_add(prefix, item, id) end
    end
end
redis.call('DEL', lock)
return 1
