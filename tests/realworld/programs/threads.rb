# ruby with threads under the preload: 6 threads build hashes, arrays and strings; a queue collects
# their results, which are printed in a fixed order (deterministic output).
require 'digest'
# Loaded here, not on first use inside the threads: threads that autoload Digest::SHA256 at once
# race in Ruby itself ("Digest::Base cannot be directly inherited in Ruby", github.com/ruby/digest
# issue 3); the preload's different timing made it show in 2 of 20 runs (0 of 30 bare).
SHA256 = Digest::SHA256

queue = Queue.new
threads = (0...6).map do |id|
  Thread.new do
    table = {}
    3000.times do |i|
      key = "k#{id}-#{i % 211}"
      (table[key] ||= []) << (i * 31 % 97).to_s * 3
    end
    text = table.keys.sort.map { |k| "#{k}=#{table[k].length}" }.join(';')
    queue << [id, table.size, SHA256.hexdigest(text)[0, 16]]
  end
end
threads.each(&:join)
results = []
results << queue.pop until queue.empty?
results.sort.each { |id, size, digest| puts "thread #{id}: #{size} keys #{digest}" }
puts "symbols #{%w[a b c].map(&:to_sym).inspect} gc #{GC.start.inspect}"
