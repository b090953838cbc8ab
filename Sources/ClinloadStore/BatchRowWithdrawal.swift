import ClinloadPostgres
import Foundation

extension PostgresConnection {
    /// Takes back the rows a running batch has moved to `table` (a rejected batch
    /// whose chunks already moved). Through `etl.withdraw_batch_rows`, because the
    /// loader role may not DELETE (see `Migrations.batchRowsV1`).
    @discardableResult
    func withdrawBatchRows(batchId: UUID, table: String) throws -> Int {
        try query("SELECT etl.withdraw_batch_rows($1::uuid, $2::regclass)", [.text(batchId.uuidString), .text(table)]).int(0, 0) ?? 0
    }
}
