#include "mirror/pipe.hpp"

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <thread>

using ecrm::mirror::BytePipe;

TEST_CASE("BytePipe carries a stream larger than its buffer intact", "[pipe]") {
  std::string input(1 << 20, '\0');
  std::mt19937 rng(7);
  for (auto& c : input) c = static_cast<char>(rng());
  BytePipe pipe(4096, nullptr);
  // Catch2 assertions are not thread-safe (TSan reports them), so the producer only records
  // its result and the main thread checks it after join.
  bool writes_ok = true;
  std::thread producer([&] {
    std::size_t offset = 0;
    while (offset < input.size() && writes_ok) {
      std::size_t n = std::min<std::size_t>(1000 + offset % 3000, input.size() - offset);
      writes_ok = pipe.write(input.data() + offset, n);
      offset += n;
    }
    pipe.finish(writes_ok);
  });
  std::string output;
  char buffer[1500];
  bool reads_ok = true;
  while (true) {
    auto n = pipe.read(buffer, sizeof buffer);
    if (!n) {
      reads_ok = false;
      break;
    }
    if (*n == 0) break;
    output.append(buffer, *n);
  }
  producer.join();
  CHECK(writes_ok);
  CHECK(reads_ok);
  CHECK(output == input);
}

TEST_CASE("BytePipe reports a failed producer and an aborting consumer", "[pipe]") {
  BytePipe pipe(16, nullptr);
  REQUIRE(pipe.write("abc", 3));
  pipe.finish(false);
  char buffer[8];
  CHECK(pipe.read(buffer, sizeof buffer) == std::optional<std::size_t>(3));
  CHECK_FALSE(pipe.read(buffer, sizeof buffer));  // failure, not end of stream

  pipe.reset();
  std::thread consumer([&] { pipe.abort(); });
  consumer.join();
  std::string big(1000, 'x');
  CHECK_FALSE(pipe.write(big.data(), big.size()));  // would block forever without the abort
}

TEST_CASE("BytePipe unblocks on cancellation", "[pipe]") {
  std::atomic<bool> cancel{false};
  BytePipe pipe(16, &cancel);
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    cancel = true;
  });
  char buffer[8];
  CHECK_FALSE(pipe.read(buffer, sizeof buffer));
  canceller.join();
}
