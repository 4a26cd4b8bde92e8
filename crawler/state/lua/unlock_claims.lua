-- ARGV: prefix, lock token. Releases the claim lock if it is still ours.
if redis.call('GET', ARGV[1] .. ':claimlock') == ARGV[2] then
    return redis.call('DEL', ARGV[1] .. ':claimlock')
end
return 0
