if redis.call('GET', ARGV[1] .. ':furl:' .. ARGV[3]) == ARGV[2] then
    return redis.call('DEL', ARGV[1] .. ':furl:' .. ARGV[3])
end
return 0
