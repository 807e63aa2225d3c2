#include "tools/pipeline/background_appender.h"

#include <utility>

namespace repscope::pipeline {

BackgroundAppender::BackgroundAppender(std::size_t max_bytes)
    : max_bytes_(max_bytes), thread_([this] { run(); }) {}

BackgroundAppender::~BackgroundAppender() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    jobs_.clear();
  }
  changed_.notify_all();
  thread_.join();
}

void BackgroundAppender::submit(NpyStreamWriter& writer, Tensor rows) {
  const std::size_t bytes = rows.nbytes();
  std::unique_lock lock(mutex_);
  // A single job larger than the bound still goes through once the queue is empty.
  changed_.wait(lock,
                [&] { return error_ || jobs_.empty() || queued_bytes_ + bytes <= max_bytes_; });
  if (error_) std::rethrow_exception(error_);
  jobs_.push_back({&writer, std::move(rows)});
  queued_bytes_ += bytes;
  lock.unlock();
  changed_.notify_all();
}

void BackgroundAppender::drain() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return error_ || (jobs_.empty() && !busy_); });
  if (error_) std::rethrow_exception(error_);
}

void BackgroundAppender::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
    if (stop_) return;
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    busy_ = true;
    lock.unlock();
    std::exception_ptr failure;
    try {
      job.writer->append(job.rows);
    } catch (...) {
      failure = std::current_exception();
    }
    const std::size_t bytes = job.rows.nbytes();
    job.rows = Tensor{};  // free the rows before taking the lock again
    lock.lock();
    busy_ = false;
    queued_bytes_ -= bytes;
    if (failure && !error_) {
      error_ = failure;
      jobs_.clear();
      queued_bytes_ = 0;
    }
    changed_.notify_all();
  }
}

}  // namespace repscope::pipeline
