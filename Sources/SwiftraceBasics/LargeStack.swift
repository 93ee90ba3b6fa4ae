#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` on a new thread with a stack of `bytes` and waits for it. The compiler's passes
/// recurse once per level of a script's tree, which the parser bounds (`Parser.maxNesting`,
/// `Parser.maxOperators`); this is the room those bounds need, in a debug build too. Only the pages
/// the recursion touches are ever committed.
public func withLargeStack<T>(bytes: Int = 1 << 30, _ body: () -> T) -> T {
  withoutActuallyEscaping(body) { body in
    var result: T?
    let work = LargeStackWork { result = body() }
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setstacksize(&attributes, bytes)
    var thread = pthread_t()
    let context = Unmanaged.passRetained(work).toOpaque()
    let created = pthread_create(&thread, &attributes, { context in
      Unmanaged<LargeStackWork>.fromOpaque(context!).takeRetainedValue().run()
      return nil
    }, context)
    guard created == 0 else {
      // No thread (a limit on threads or memory): run here, with the ordinary stack.
      Unmanaged<LargeStackWork>.fromOpaque(context).release()
      return body()
    }
    pthread_join(thread, nil)
    return result!
  }
}

private final class LargeStackWork {
  let run: () -> Void
  init(_ run: @escaping () -> Void) { self.run = run }
}
