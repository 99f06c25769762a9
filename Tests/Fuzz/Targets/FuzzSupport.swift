// Compiled into every fuzz target (see ../run.sh); never part of `swift build`.

/// Stops the process when an invariant of the code under test does not hold.
///
/// libFuzzer only notices crashes, so a broken property (a round trip that changes the value, a
/// sanitiser output that still carries a script) must crash to be found and saved as an input.
@inline(never)
func invariant(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("fuzz invariant violated: \(message())") }
}

/// The fuzzer's input as an array (libFuzzer owns the memory only for the call).
func fuzzBytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
    Array(UnsafeBufferPointer(start: data, count: size))
}
