using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Wallet.Engine.Journal;
using Wallet.Engine.Partition;
using Wallet.Engine.ReadModel;

namespace Wallet.Host.Commands;

/// <summary>
/// <c>wallet readmodel rebuild</c>: deletes the read model of a (stopped) node's data directory and projects the whole
/// event journal again, with progress. <c>wallet readmodel status</c>: its position and how far it trails the journal.
/// A running server rebuilds its own view through the HTTP admin API instead (see docs/OPERATIONS.md).
/// </summary>
internal static class ReadModelCommand
{
    public static Command Create()
    {
        var command = new Command("readmodel", "Rebuild or inspect the read model of a data directory");
        command.Subcommands.Add(RebuildVerb());
        command.Subcommands.Add(StatusVerb());
        return command;
    }

    private static Command RebuildVerb()
    {
        var common = new OfflineVerb();
        var command = new Command("rebuild", "Delete the read model and project the event journal again (the node must be stopped)");
        common.AddTo(command);
        command.SetAction((parse, cancel) => OfflineVerb.RunAsync(() =>
        {
            OfflineVerb.Settings settings = common.Load(parse);
            // The projector checks every record as it reads it: an open that read them all first would read the journal twice.
            using Journal events = OpenEvents(settings);
            ReadModelStore.Destroy(settings.ReadModelDirectory);
            using ReadModelStore store = ReadModelStore.Open(settings.ReadModelDirectory);
            using var projector = new ReadModelProjector(store, events);
            long last = events.LastIndex;
            Console.Error.WriteLine($"readmodel rebuild: projecting event records {events.FirstIndex}..{last} into {settings.ReadModelDirectory}");
            var clock = Stopwatch.StartNew();
            long nextReportMs = 1000;
            long records = projector.CatchUp(index =>
            {
                if (clock.ElapsedMilliseconds < nextReportMs) return;
                nextReportMs = clock.ElapsedMilliseconds + 1000;
                Console.Error.WriteLine($"readmodel rebuild: {index}/{last} ({(last == 0 ? 100 : 100.0 * index / last):F1} %)");
            });
            ViewPosition p = store.Position;
            double seconds = Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
            if (parse.GetValue(common.Json))
                Console.Out.WriteLine(JsonSerializer.Serialize(new { index = p.Index, records, events = p.EventsApplied, seconds = clock.Elapsed.TotalSeconds }));
            else
                Console.Out.WriteLine($"read model rebuilt to index {p.Index}: {records} records, {p.EventsApplied} events in {clock.Elapsed.TotalSeconds:F2} s ({p.EventsApplied / seconds:F0} events/s)");
            return Task.FromResult(ExitCodes.Ok);
        }, "readmodel rebuild"));
        return command;
    }

    private static Command StatusVerb()
    {
        var common = new OfflineVerb();
        var command = new Command("status", "The read model's position and its lag behind the event journal");
        common.AddTo(command);
        command.SetAction((parse, cancel) => OfflineVerb.RunAsync(() =>
        {
            OfflineVerb.Settings settings = common.Load(parse);
            using Journal events = OpenEvents(settings); // only its end is needed: headers and the last segment
            using ReadModelStore view = OfflineVerb.OpenView(settings);
            ViewPosition p = view.Position;
            long lag = Math.Max(0, events.LastIndex - p.Index);
            long ageMs = AgeMs(events, p, lag);
            HistoryEpochSummary epochs = view.GetHistoryEpochs();
            if (parse.GetValue(common.Json))
                Console.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    index = p.Index, timestamp_ns = p.TimestampNs, events = p.EventsApplied, journal_index = events.LastIndex, lag_records = lag, age_ms = ageMs,
                    history_epochs = epochs.Epochs, history_epoch_index = epochs.NewestEpochIndex, history_epoch_rows = epochs.NewestEpochRows,
                }));
            else
                Console.Out.WriteLine($"read model at index {p.Index} ({(p.Index == 0 ? "empty" : OfflineVerb.FormatTime(p.TimestampNs))}, {p.EventsApplied} events); event journal at {events.LastIndex}; {lag} records behind" +
                    (lag == 0 ? "" : $", {ageMs} ms of ledger time") +
                    (epochs.Epochs == 0 ? "" : $"; history in {epochs.Epochs} epoch{(epochs.Epochs == 1 ? "" : "s")}, the newest from index {epochs.NewestEpochIndex} ({epochs.NewestEpochRows} rows)"));
            return Task.FromResult(ExitCodes.Ok);
        }, "readmodel status"));
        return command;
    }

    private static Journal OpenEvents(OfflineVerb.Settings settings) => Journal.OpenReadOnly(new JournalOptions
    {
        Directory = settings.DataDirectory, FilePrefix = PartitionEngine.EventJournalPrefix, OpenValidation = JournalOpenValidation.LastSegment,
    });

    /// <summary>
    /// How stale the view is, as the live <c>readmodel.age_ms</c>: ledger time of the journal's newest record minus that
    /// of the newest record the view holds (0 when caught up; an empty view is as old as the whole journal).
    /// </summary>
    private static long AgeMs(Journal events, ViewPosition view, long lag)
    {
        if (lag == 0) return 0;
        long viewTimestamp = view.TimestampNs;
        if (view.Index == 0)
        {
            using JournalReader reader = events.OpenReader(events.FirstIndex);
            viewTimestamp = reader.TryRead(out JournalRecord first) ? first.Timestamp : events.LastTimestamp;
        }
        return Math.Max(0, events.LastTimestamp - viewTimestamp) / 1_000_000;
    }
}
