using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Wallet.Engine.Journal;
using Wallet.Gateway.Tests.Support;

namespace Wallet.Gateway.Tests.Http;

/// <summary>
/// The data-directory verbs of the real `wallet` executable on a real data directory written by a partition through
/// the HTTP API: `audit replay --at` agrees with the read model (by index and by time), `balance --at` and `history`
/// read it, and `audit verify` finds a tampered journal record by file and offset (exit 6).
/// </summary>
public sealed class AuditCliTests
{
    private sealed record CliRun(int ExitCode, string Output, string Error);

    private static async Task<CliRun> Wallet(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "wallet.dll"));
        foreach (string a in args) psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill();
            throw new TimeoutException($"wallet {string.Join(' ', args)} did not exit within 60 s");
        }
        return new CliRun(p.ExitCode, await stdout, await stderr);
    }

    /// <summary>The Ledger section the fixture's partition runs with (replay must use the same rules).</summary>
    private static string WriteConfig(string directory)
    {
        string path = Path.Combine(directory, "cli-settings.json");
        File.WriteAllText(path, """
        {
          "Ledger": {
            "MaxAccounts": 4096, "MaxBatchSize": 1024, "MaxPendingTransfers": 1024, "TransferRetentionCount": 16384,
            "Ledgers": [ { "Code": 1, "Symbol": "USD", "Scale": 2 }, { "Code": 2, "Symbol": "EUR", "Scale": 2 } ]
          }
        }
        """);
        return path;
    }

    private static string Transfer(string id, string from, string to, string amount) =>
        $$"""{"from_account":"{{from}}","to_account":"{{to}}","amount":"{{amount}}","currency":"USD","transaction_id":"{{id}}"}""";

    [Fact]
    public async Task Replay_agrees_with_the_read_model_and_verify_finds_a_tampered_record()
    {
        using var dir = new TempDirectory("audit-cli");
        string data = Path.Combine(dir.Path, "data");
        string config = WriteConfig(dir.Path);
        long midIndex, midTimestamp;
        await using (HttpFixture f = await HttpFixture.StartAsync(dataDirectory: data))
        {
            for (int a = 100; a < 106; a++) await f.CreateAccountAsync(a.ToString(CultureInfo.InvariantCulture));
            var random = new Random(3);
            for (int i = 1; i <= 40; i++)
            {
                int from = 100 + random.Next(6), to = 100 + (from - 100 + 1 + random.Next(5)) % 6;
                HttpResponseMessage r = await f.PostAsync("/v1/wallet/balance_transfer", Transfer(i.ToString(CultureInfo.InvariantCulture), from.ToString(CultureInfo.InvariantCulture), to.ToString(CultureInfo.InvariantCulture), $"{random.Next(1, 50)}.{random.Next(0, 100):D2}"));
                Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
                if (i == 20) f.Server.Partition.RequestSnapshot();
            }
            JsonElement at = await HttpFixture.JsonAsync(await f.GetAsync("/v1/transfers/25"));
            midIndex = at.GetProperty("source").GetProperty("index").GetInt64() - 10;
            midTimestamp = at.GetProperty("timestamp").GetInt64();
            Assert.True(f.Projector.WaitForIndex(f.Server.Partition.AppliedIndex, TimeSpan.FromSeconds(20)));
        }

        // By index, from genesis and from the snapshot.
        CliRun byIndex = await Wallet("audit", "replay", "--at", midIndex.ToString(CultureInfo.InvariantCulture), "--data-dir", data, "--config", config, "--json");
        Assert.True(byIndex.ExitCode == 0, byIndex.Output + byIndex.Error);
        using (JsonDocument doc = JsonDocument.Parse(byIndex.Output))
        {
            Assert.True(doc.RootElement.GetProperty("ok").GetBoolean());
            Assert.Equal(6, doc.RootElement.GetProperty("accounts_compared").GetInt32());
            Assert.Equal(midIndex, doc.RootElement.GetProperty("replayed_to_index").GetInt64());
        }
        Assert.Contains("commands replayed", byIndex.Error, StringComparison.Ordinal); // progress on stderr
        CliRun badAt = await Wallet("audit", "replay", "--at", "end-of-time-is-not-a-target", "--data-dir", data, "--config", config);
        Assert.Equal(2, badAt.ExitCode);
        // The strict RFC 3339 reader the HTTP API uses: a time of day is not "today", and past 2262 is refused, not
        // wrapped into a negative count of ns.
        foreach (string at in new[] { "12:00", "2026-11-27", "9999-12-31T00:00:00Z" })
        {
            CliRun refused = await Wallet("audit", "replay", "--at", at, "--data-dir", data, "--config", config);
            Assert.True(refused.ExitCode == 2, at + ": " + refused.Output + refused.Error);
        }

        // By time (RFC 3339 of transfer 25's stamp), replaying from genesis.
        string time = new DateTime(DateTime.UnixEpoch.Ticks + midTimestamp / 100, DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture);
        CliRun byTime = await Wallet("audit", "replay", "--at", time, "--from-genesis", "--data-dir", data, "--config", config);
        Assert.True(byTime.ExitCode == 0, byTime.Output + byTime.Error);
        Assert.Contains("read model agrees with the replay: 6 accounts", byTime.Output, StringComparison.Ordinal);

        // balance --at and history read the same view.
        CliRun balance = await Wallet("balance", "100", "101", "--at", midIndex.ToString(CultureInfo.InvariantCulture), "--data-dir", data, "--config", config, "--json");
        Assert.True(balance.ExitCode == 0, balance.Output + balance.Error);
        using (JsonDocument doc = JsonDocument.Parse(balance.Output))
        {
            Assert.Equal(2, doc.RootElement.GetProperty("accounts").GetArrayLength());
            Assert.Matches("^-?[0-9]+\\.[0-9]{2}$", doc.RootElement.GetProperty("accounts")[0].GetProperty("balance").GetString()!);
        }
        CliRun history = await Wallet("history", "100", "--order", "asc", "--limit", "3", "--data-dir", data, "--config", config, "--json");
        Assert.True(history.ExitCode == 0, history.Output + history.Error);
        using (JsonDocument doc = JsonDocument.Parse(history.Output))
        {
            Assert.Equal(3, doc.RootElement.GetProperty("rows").GetArrayLength());
            Assert.Equal("AccountCreated", doc.RootElement.GetProperty("rows")[0].GetProperty("event").GetString());
            Assert.NotNull(doc.RootElement.GetProperty("next_cursor").GetString());
        }

        // readmodel status: caught up, so no lag and no age; an empty view is as old as the whole journal.
        CliRun status = await Wallet("readmodel", "status", "--data-dir", data, "--config", config, "--json");
        Assert.True(status.ExitCode == 0, status.Output + status.Error);
        using (JsonDocument doc = JsonDocument.Parse(status.Output))
        {
            Assert.Equal(doc.RootElement.GetProperty("journal_index").GetInt64(), doc.RootElement.GetProperty("index").GetInt64());
            Assert.Equal(0, doc.RootElement.GetProperty("lag_records").GetInt64());
            Assert.Equal(0, doc.RootElement.GetProperty("age_ms").GetInt64());
            // One history epoch at the default size, from the first record with history, holding every row so far.
            Assert.Equal(1, doc.RootElement.GetProperty("history_epochs").GetInt32());
            Assert.InRange(doc.RootElement.GetProperty("history_epoch_index").GetInt64(), 1, doc.RootElement.GetProperty("index").GetInt64());
            Assert.True(doc.RootElement.GetProperty("history_epoch_rows").GetInt64() >= doc.RootElement.GetProperty("events").GetInt64());
        }
        string view = Path.Combine(data, "readmodel");
        Assert.True(Directory.Exists(view), view);
        Directory.Move(view, view + ".kept");
        global::Wallet.Engine.ReadModel.ReadModelStore.Open(view).Dispose(); // an empty view
        long firstNs, lastNs, lastIndex;
        using (Journal events = Journal.OpenReadOnly(new JournalOptions { Directory = data, FilePrefix = "events" }))
        using (JournalReader reader = events.OpenReader(events.FirstIndex))
        {
            Assert.True(reader.TryRead(out JournalRecord first));
            (firstNs, lastNs, lastIndex) = (first.Timestamp, events.LastTimestamp, events.LastIndex);
        }
        CliRun empty = await Wallet("readmodel", "status", "--data-dir", data, "--config", config, "--json");
        Assert.True(empty.ExitCode == 0, empty.Output + empty.Error);
        using (JsonDocument doc = JsonDocument.Parse(empty.Output))
        {
            Assert.Equal(0, doc.RootElement.GetProperty("index").GetInt64());
            Assert.Equal(lastIndex, doc.RootElement.GetProperty("lag_records").GetInt64());
            Assert.Equal((lastNs - firstNs) / 1_000_000, doc.RootElement.GetProperty("age_ms").GetInt64());
            Assert.Equal(0, doc.RootElement.GetProperty("history_epochs").GetInt32());
        }
        CliRun emptyText = await Wallet("readmodel", "status", "--data-dir", data, "--config", config);
        Assert.Contains($"{lastIndex} records behind, {(lastNs - firstNs) / 1_000_000} ms of ledger time", emptyText.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("history in", emptyText.Output, StringComparison.Ordinal);
        Directory.Delete(view, recursive: true);
        Directory.Move(view + ".kept", view);
        CliRun keptText = await Wallet("readmodel", "status", "--data-dir", data, "--config", config);
        Assert.Contains("; history in 1 epoch, the newest from index ", keptText.Output, StringComparison.Ordinal);

        CliRun clean = await Wallet("audit", "verify", "--data-dir", data, "--config", config);
        Assert.True(clean.ExitCode == 0, clean.Output + clean.Error);
        Assert.Contains("verified: no finding", clean.Output, StringComparison.Ordinal);

        // Tamper: one byte inside the payload of the first command record.
        string segment = Directory.GetFiles(data, PartitionEngineCommandsPattern)[0];
        long offset = SegmentHeader.SizeBytes + JournalRecordHeader.SizeBytes + 8;
        using (var stream = new FileStream(segment, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = offset;
            int b = stream.ReadByte();
            stream.Position = offset;
            stream.WriteByte((byte)(b ^ 0x5A));
        }
        CliRun tampered = await Wallet("audit", "verify", "--data-dir", data, "--config", config, "--json");
        Assert.True(tampered.ExitCode == 6, tampered.Output + tampered.Error);
        using (JsonDocument doc = JsonDocument.Parse(tampered.Output))
        {
            Assert.False(doc.RootElement.GetProperty("ok").GetBoolean());
            JsonElement bad = default;
            foreach (JsonElement finding in doc.RootElement.GetProperty("findings").EnumerateArray())
            {
                if (!finding.GetProperty("ok").GetBoolean()) bad = finding;
            }
            Assert.Equal(JsonValueKind.Object, bad.ValueKind);
            Assert.Equal(segment, bad.GetProperty("file").GetString());
            Assert.Equal(SegmentHeader.SizeBytes, bad.GetProperty("offset").GetInt64()); // the record that holds the flipped byte
            Assert.Equal(1, bad.GetProperty("index").GetInt64());
        }
    }

    private const string PartitionEngineCommandsPattern = "commands-*.seg";
}
