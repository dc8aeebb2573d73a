using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Wallet.Engine.Audit;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Engine.ReadModel;

namespace Wallet.Host.Commands;

/// <summary>
/// <c>wallet audit verify</c>: the hash chain and CRCs of both journals and the checksums of every snapshot; reports
/// the first bad record of each journal by file and offset. <c>wallet audit replay --at &lt;time|index&gt;</c>:
/// reproduces every balance at that point by replaying the command journal and compares each with the read
/// model's point-in-time answer. Both read files only, never modify them, and exit 6 on any finding.
/// </summary>
internal static class AuditCommand
{
    public static Command Create()
    {
        var audit = new Command("audit", "Verify a data directory; prove the read model by replay");
        audit.Subcommands.Add(VerifyVerb());
        audit.Subcommands.Add(ReplayVerb());
        return audit;
    }

    private static Command VerifyVerb()
    {
        var common = new OfflineVerb();
        var command = new Command("verify", "Check the hash chain and CRCs of the journals and the snapshot checksums");
        common.AddTo(command);
        command.SetAction((parse, cancel) => OfflineVerb.RunAsync(() =>
        {
            OfflineVerb.Settings settings = common.Load(parse);
            Console.Error.WriteLine($"audit verify: checking journals and snapshots in {settings.DataDirectory} ...");
            var clock = Stopwatch.StartNew();
            AuditReport report = DataDirectoryAudit.Verify(settings.DataDirectory);
            if (parse.GetValue(common.Json))
            {
                var findings = new List<object>();
                foreach (AuditFinding f in report.Findings)
                    findings.Add(new { what = f.What, ok = f.Ok, file = f.FilePath, offset = f.Offset, index = f.Index, reason = f.Reason });
                Console.Out.WriteLine(JsonSerializer.Serialize(new { ok = report.Ok, data_directory = settings.DataDirectory, findings }));
            }
            else
            {
                foreach (AuditFinding f in report.Findings)
                {
                    Console.Out.WriteLine(f.Ok
                        ? $"ok    {f.What}"
                        : $"BAD   {f.What}: {f.Reason} (file {f.FilePath}, offset {f.Offset}{(f.Index is null ? string.Empty : $", index {f.Index}")})");
                }
                Console.Out.WriteLine(report.Ok ? "verified: no finding" : "FAILED: see the BAD lines above");
            }
            Console.Error.WriteLine($"audit verify: done in {clock.Elapsed.TotalSeconds:F1} s");
            return Task.FromResult(report.Ok ? ExitCodes.Ok : ExitCodes.AuditFailed);
        }, "audit verify"));
        return command;
    }

    private static Command ReplayVerb()
    {
        var common = new OfflineVerb();
        var at = new Option<string>("--at") { Description = "A log index (digits) or an RFC 3339 time", Required = true };
        var noSnapshots = new Option<bool>("--from-genesis") { Description = "Replay from index 1 instead of the newest snapshot before the target" };
        var command = new Command("replay", "Reproduce all balances at a point by replay and compare them with the read model");
        command.Options.Add(at);
        command.Options.Add(noSnapshots);
        common.AddTo(command);
        command.SetAction((parse, cancel) => OfflineVerb.RunAsync(() =>
        {
            OfflineVerb.Settings settings = common.Load(parse);
            ReplayTarget target = OfflineVerb.ParseAt(parse.GetValue(at)!);
            Console.Error.WriteLine($"audit replay: replaying the command journal to {OfflineVerb.Describe(target)} ...");
            var clock = Stopwatch.StartNew();
            ReplayResult replay = LedgerReplay.Replay(settings.DataDirectory, settings.Ledger, target, useSnapshots: !parse.GetValue(noSnapshots));
            Console.Error.WriteLine($"audit replay: {replay.CommandsReplayed} commands replayed from {(replay.StartSnapshotIndex > 0 ? $"the snapshot at index {replay.StartSnapshotIndex}" : "genesis")} to index {replay.LastIndex} in {clock.Elapsed.TotalSeconds:F1} s");

            using ReadModelStore view = OfflineVerb.OpenView(settings);
            ViewPosition position = view.Position;
            if (position.Index < replay.LastIndex)
            {
                Console.Error.WriteLine($"audit replay: the read model is at index {position.Index}, behind the target (index {replay.LastIndex}): nothing to compare yet");
                return Task.FromResult(ExitCodes.Failure);
            }

            ReadOnlySpan<Account> accounts = replay.Ledger.Accounts;
            Console.Error.WriteLine($"audit replay: comparing {accounts.Length} accounts with the read model (at index {position.Index}) ...");
            var mismatches = new List<object>();
            var seen = new HashSet<UInt128>();
            int compared = 0;
            foreach (Account expected in accounts)
            {
                seen.Add(expected.Id);
                BalanceAt answer = view.GetBalanceAt(expected.Id, target);
                compared++;
                if (compared % 100_000 == 0) Console.Error.WriteLine($"audit replay: {compared}/{accounts.Length} accounts compared");
                AccountBalances want = AccountBalances.Of(expected);
                if (answer.Status != BalanceAtStatus.Found)
                    mismatches.Add(Mismatch(expected.Id, "missing in the read model", want, null, settings.Ledger.Catalog, expected.Ledger));
                else if (!answer.Balances.Equals(want))
                    mismatches.Add(Mismatch(expected.Id, "balances differ", want, answer.Balances, settings.Ledger.Catalog, expected.Ledger));
            }
            foreach (AccountView extra in view.EnumerateAccounts())
            {
                if (seen.Contains(extra.Account.Id)) continue;
                BalanceAt answer = view.GetBalanceAt(extra.Account.Id, target);
                if (answer.Status == BalanceAtStatus.Found)
                    mismatches.Add(Mismatch(extra.Account.Id, "in the read model but not in the replay", null, answer.Balances, settings.Ledger.Catalog, extra.Account.Ledger));
            }

            UInt128 digest = replay.Ledger.ComputeDigest();
            if (parse.GetValue(common.Json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    ok = mismatches.Count == 0, at = OfflineVerb.Describe(target), replayed_to_index = replay.LastIndex, replayed_to_timestamp_ns = replay.LastTimestampNs,
                    start_snapshot_index = replay.StartSnapshotIndex, commands_replayed = replay.CommandsReplayed, accounts_compared = compared,
                    read_model_index = position.Index, state_digest = digest.ToString("x32", System.Globalization.CultureInfo.InvariantCulture), mismatches,
                }));
            }
            else
            {
                Console.Out.WriteLine($"replayed to index {replay.LastIndex} ({OfflineVerb.FormatTime(replay.LastTimestampNs)}), state digest {digest:x32}");
                Console.Out.WriteLine(mismatches.Count == 0
                    ? $"read model agrees with the replay: {compared} accounts, every balance equal"
                    : $"MISMATCH: {mismatches.Count} of {compared} accounts differ");
                foreach (object m in mismatches) Console.Out.WriteLine("  " + JsonSerializer.Serialize(m));
            }
            return Task.FromResult(mismatches.Count == 0 ? ExitCodes.Ok : ExitCodes.AuditFailed);
        }, "audit replay"));
        return command;
    }

    private static object Mismatch(UInt128 id, string what, AccountBalances? replay, AccountBalances? view, LedgerCatalog catalog, uint ledger)
    {
        byte scale = OfflineVerb.CurrencyOf(catalog, ledger).Scale;
        return new { id = id.ToString(), what, replay = Text(replay, scale), read_model = Text(view, scale) };
    }

    private static string? Text(AccountBalances? b, byte scale) => b is not { } v ? null
        : $"debits {AmountText.Format(v.DebitsPosted, scale)} (+{AmountText.Format(v.DebitsPending, scale)} pending), credits {AmountText.Format(v.CreditsPosted, scale)} (+{AmountText.Format(v.CreditsPending, scale)} pending)";
}
