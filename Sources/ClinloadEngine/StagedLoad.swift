/// What a batch's staging leaves to do once its records are all read: `merge`
/// finishes the load (returns rows per table), or — when the batch is rejected
/// for its reject ratio — `withdraw` takes back whatever was already moved into
/// the final tables. Both run inside the batch's transaction.
struct StagedLoad {
    var merge: () throws -> [String: Int]
    var withdraw: () throws -> Void = {}
}
