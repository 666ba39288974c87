// SPDX-License-Identifier: Apache-2.0
// RunBlocking: the one way an HTTP coroutine calls something that blocks
// (every Archive call: SQLite, disk, DCMTK). The call runs on the bounded
// blocking pool and the coroutine resumes on its own executor afterwards,
// so an I/O thread never waits on a disk or a database.
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace cf::http {

// Runs `fn()` on `pool` and returns its result to the awaiting coroutine. An
// exception thrown by `fn` is rethrown in the coroutine (and so reaches the
// router's catch-all). `fn` lives in the coroutine frame, so it may capture
// the caller's locals by reference.
template <class Fn>
boost::asio::awaitable<std::invoke_result_t<Fn&>> RunBlocking(boost::asio::thread_pool& pool,
                                                              Fn fn) {
  using Value = std::invoke_result_t<Fn&>;
  static_assert(!std::is_void_v<Value>, "RunBlocking needs a function that returns a value");
  namespace asio = boost::asio;

  std::optional<Value> result;
  std::exception_ptr failure;
  co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(
      [&pool, &fn, &result, &failure](auto handler) {
        // Keeps the I/O context running until the result is handed back.
        auto home = asio::prefer(asio::get_associated_executor(handler),
                                 asio::execution::outstanding_work.tracked);
        asio::post(pool, [&fn, &result, &failure, handler = std::move(handler),
                          home = std::move(home)]() mutable {
          try {
            result.emplace(fn());
          } catch (...) {
            failure = std::current_exception();
          }
          asio::dispatch(home, std::move(handler));
        });
      },
      asio::use_awaitable);
  if (failure) std::rethrow_exception(failure);
  co_return std::move(*result);
}

}  // namespace cf::http
