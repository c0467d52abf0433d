# ruby with threads under the preload: 6 threads build hashes, arrays and strings; a queue collects
# their results, which are printed in a fixed order (deterministic output).
require 'digest'

queue = Queue.new
threads = (0...6).map do |id|
  Thread.new do
    table = {}
    3000.times do |i|
      key = "k#{id}-#{i % 211}"
      (table[key] ||= []) << (i * 31 % 97).to_s * 3
    end
    text = table.keys.sort.map { |k| "#{k}=#{table[k].length}" }.join(';')
    queue << [id, table.size, Digest::SHA256.hexdigest(text)[0, 16]]
  end
end
threads.each(&:join)
results = []
results << queue.pop until queue.empty?
results.sort.each { |id, size, digest| puts "thread #{id}: #{size} keys #{digest}" }
puts "symbols #{%w[a b c].map(&:to_sym).inspect} gc #{GC.start.inspect}"
