using Wallet.Engine.ReadModel;
using Wallet.Perf.Harness;

namespace Wallet.Perf.Scenarios;

/// <summary>
/// Where the view's bytes go (`readmodel --row-stats 1`): one scan of every key, after the measured phases, counting
/// keys, key bytes and value bytes per table (first key byte), and the rows inside the history chunks. These are the
/// logical bytes RocksDB is handed (before its block format, prefix compression and LZ4); what each batch writes.
/// </summary>
internal static class ReadModelRowStats
{
    public static void Scan(string viewDir, ScenarioResult result, TextWriter log)
    {
        log.WriteLine("[readmodel] row stats: scanning the view");
        using ReadModelStore store = ReadModelStore.OpenReadOnly(viewDir);
        var keys = new long[256];
        var keyBytes = new long[256];
        var valueBytes = new long[256];
        long historyRows = 0;
        var rows = new HistoryRow[HistoryChunkBuilder.MaxRowsPerChunk];
        using (RocksDbSharp.Iterator it = store.Db.NewIterator())
        {
            for (it.SeekToFirst(); it.Valid(); it.Next())
            {
                ReadOnlySpan<byte> key = it.GetKeySpan();
                ReadOnlySpan<byte> value = it.GetValueSpan();
                int table = key.IsEmpty ? 0 : key[0];
                keys[table]++;
                keyBytes[table] += key.Length;
                valueBytes[table] += value.Length;
                if (table == ReadModelKeys.History) historyRows += HistoryChunk.Decode(key, value, rows);
            }
        }
        long events = store.Position.EventsApplied;
        long total = 0;
        for (int t = 0; t < 256; t++)
        {
            if (keys[t] == 0) continue;
            string name = $"'{(char)t}'";
            result.Add("rows", $"{name} keys", keys[t], "keys");
            result.Add("rows", $"{name} key + value bytes per key", (double)(keyBytes[t] + valueBytes[t]) / keys[t], "B");
            result.Add("rows", $"{name} value bytes per key", (double)valueBytes[t] / keys[t], "B");
            total += keyBytes[t] + valueBytes[t];
        }
        if (historyRows > 0)
        {
            result.Add("rows", "history rows", historyRows, "rows");
            result.Add("rows", "history value bytes per row", (double)valueBytes[ReadModelKeys.History] / historyRows, "B");
        }
        result.Add("rows", "key + value bytes in the view", total, "B");
        if (events > 0) result.Add("rows", "key + value bytes per event", (double)total / events, "B");
    }
}
