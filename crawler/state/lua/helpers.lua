-- A claim is alive while its lease key exists and its owner's heartbeat does (or the owner is us).
local function alive(prefix, owner, me)
    if owner == me then return true end
    return redis.call('EXISTS', prefix .. ':worker:' .. owner) == 1
end
local function claim_owner(prefix, id)
    local value = redis.call('GET', prefix .. ':claim:' .. id)
    if not value then return nil, nil end
    local sep = string.find(value, '|', 1, true)
    return string.sub(value, 1, sep - 1), string.sub(value, sep + 1)
end
local function split(text)
    local out = {}
    if not text or text == '' then return out end
    for item in string.gmatch(text, '[^,]+') do out[#out + 1] = item end
    return out
end
local function set_of(list)
    local out = {}
    for _, item in ipairs(list) do out[item] = true end
    return out
end
-- An item is 'band:shard:bucket'; the bucket's ids are one space-separated field of hash P:lsh:band:shard.
local function bucket_at(prefix, item)
    local last = string.find(item, ':[^:]*$')
    return prefix .. ':lsh:' .. string.sub(item, 1, last - 1), string.sub(item, last + 1)
end
local function bucket_ids(prefix, item)
    local key, field = bucket_at(prefix, item)
    local out = {}
    local value = redis.call('HGET', key, field)
    if value then for id in string.gmatch(value, '%S+') do out[#out + 1] = id end end
    return out
end
local function bucket_add(prefix, item, id)
    local key, field = bucket_at(prefix, item)
    local value = redis.call('HGET', key, field)
    if not value then redis.call('HSET', key, field, id); return end
    for other in string.gmatch(value, '%S+') do if other == id then return end end
    redis.call('HSET', key, field, value .. ' ' .. id)
end
local function bucket_remove(prefix, item, id)
    local key, field = bucket_at(prefix, item)
    local value = redis.call('HGET', key, field)
    if not value then return end
    local kept = {}
    for other in string.gmatch(value, '%S+') do if other ~= id then kept[#kept + 1] = other end end
    if #kept == 0 then redis.call('HDEL', key, field) else redis.call('HSET', key, field, table.concat(kept, ' ')) end
end
-- Drop an in-flight article's lease keys, and its bucket entries that its durable record does not hold.
local function clear_claim(prefix, id, content_hash)
    redis.call('DEL', prefix .. ':claim:' .. id, prefix .. ':csig:' .. id)
    if content_hash and redis.call('GET', prefix .. ':chash:' .. content_hash) == id then
        redis.call('DEL', prefix .. ':chash:' .. content_hash)
    end
    local claimed = split(redis.call('GET', prefix .. ':cbands:' .. id))
    local durable = set_of(split(redis.call('GET', prefix .. ':bands:' .. id)))
    for _, item in ipairs(claimed) do
        if not durable[item] then bucket_remove(prefix, item, id) end
    end
    redis.call('DEL', prefix .. ':cbands:' .. id)
end
