-- ARGV: prefix, me, id, content_hash, has_url(0/1), threshold, lease_s, heartbeat_s, signature, buckets(csv)
-- Returns nil when admitted (and claimed), else {kind, original_id, same, total}.
-- Runs with helpers.lua prepended (crawler.state.redis_store._script).
local prefix, me, id, h = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local url_kind = (ARGV[5] == '1') and 'url' or 'content'
local threshold, lease, beat = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local signature, buckets = ARGV[9], split(ARGV[10])
redis.call('SET', prefix .. ':worker:' .. me, '1', 'EX', beat)

-- 1. the same id: recorded with this text (a re-fetch), or in flight in another live process
local recorded = redis.call('HGET', prefix .. ':art:' .. id, 'h')
if recorded == h then return {url_kind, id, 1, 1} end
local owner, claimed_hash = claim_owner(prefix, id)
if owner and owner ~= me and alive(prefix, owner, me) then return {url_kind, id, 1, 1} end

-- 2. the content hash: recorded, or in flight, under another id
local holder = redis.call('GET', prefix .. ':hash:' .. h)
if holder and holder ~= id then return {'content', holder, 1, 1} end
holder = redis.call('GET', prefix .. ':chash:' .. h)
if holder and holder ~= id then
    local o = claim_owner(prefix, holder)
    if o and alive(prefix, o, me) then return {'content', holder, 1, 1} end
end

-- 3. near duplicates among recorded and in-flight signatures sharing a band bucket
if signature ~= '' and #buckets > 0 then
    local n = #signature / 4
    local best_id, best_same = nil, -1
    local seen = {[id] = true}
    local candidates = {}
    for _, item in ipairs(buckets) do
        for _, candidate in ipairs(bucket_ids(prefix, item)) do
            if not seen[candidate] then seen[candidate] = true; candidates[#candidates + 1] = candidate end
        end
    end
    for _, candidate in ipairs(candidates) do
        do
            local sig = nil
            local o = claim_owner(prefix, candidate)
            if o and alive(prefix, o, me) then sig = redis.call('GET', prefix .. ':csig:' .. candidate) end
            if not sig and redis.call('EXISTS', prefix .. ':art:' .. candidate) == 1 then
                sig = redis.call('GET', prefix .. ':sig:' .. candidate)
            end
            if sig and #sig == #signature then
                local same = 0
                for i = 0, n - 1 do
                    local s = i * 4 + 1
                    if string.sub(sig, s, s + 3) == string.sub(signature, s, s + 3) then same = same + 1 end
                end
                if same / n >= threshold and (same > best_same or (same == best_same and candidate < best_id)) then
                    best_id, best_same = candidate, same
                end
            elseif not sig and not o and redis.call('EXISTS', prefix .. ':art:' .. candidate) == 0 then
                for _, item in ipairs(buckets) do bucket_remove(prefix, item, candidate) end  -- a dead claim's leftover
            end
        end
    end
    if best_id then return {'near', best_id, best_same, n} end
end

-- 4. new (or an update of its own URL): claim it
if owner then clear_claim(prefix, id, claimed_hash) end
redis.call('SET', prefix .. ':claim:' .. id, me .. '|' .. h, 'EX', lease)
redis.call('SET', prefix .. ':chash:' .. h, id, 'EX', lease)
if signature ~= '' then
    redis.call('SET', prefix .. ':csig:' .. id, signature, 'EX', lease)
    redis.call('SET', prefix .. ':cbands:' .. id, ARGV[10], 'EX', lease)
    for _, item in ipairs(buckets) do bucket_add(prefix, item, id) end
end
return nil
