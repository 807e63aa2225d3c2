// Appends tap rows to their NPY writers on a background thread, so writing one layer's
// activations overlaps the forward pass of the layers after it (with the appends on the
// forward's thread, a ResNet-50 `blocks` extraction left a core idle for every write).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "io/npy.h"
#include "nn/tensor.h"

namespace repscope::pipeline {

class BackgroundAppender {
 public:
  // submit() waits while more than `max_bytes` of rows are queued, so memory stays bounded.
  explicit BackgroundAppender(std::size_t max_bytes);
  // Discards what is still queued and joins the thread (after drain(), nothing is).
  ~BackgroundAppender();
  BackgroundAppender(const BackgroundAppender&) = delete;
  BackgroundAppender& operator=(const BackgroundAppender&) = delete;

  // Queues writer.append(rows). `rows` is held, not copied: the caller must not modify it
  // afterwards (model ops never write into a tensor they have returned). Rows for one writer
  // are appended in the order submitted. Rethrows an earlier append's error.
  void submit(NpyStreamWriter& writer, Tensor rows);
  // Waits until everything submitted is appended; rethrows the first append error (which
  // names the file). After an error, later submissions are dropped.
  void drain();

 private:
  struct Job {
    NpyStreamWriter* writer;
    Tensor rows;
  };
  void run();

  const std::size_t max_bytes_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Job> jobs_;
  std::size_t queued_bytes_ = 0;
  bool busy_ = false;  // the thread is appending a job it has taken off the queue
  bool stop_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace repscope::pipeline
