using Wallet.Fuzz.Targets;

namespace Wallet.Fuzz.Tests;

/// <summary>
/// Every fuzz target over its seeds and a fixed set of deterministic mutants (the same inputs on every run; bounded
/// by count and time). A finding here is a real bug in the parser or validator the target drives. Longer,
/// coverage-guided runs: fuzz/run.sh (AFL++), docs/FUZZING.md.
/// </summary>
public sealed class FuzzTargetTests
{
    public static TheoryData<string> Targets()
    {
        var data = new TheoryData<string>();
        foreach (FuzzTarget t in FuzzTargets.All) data.Add(t.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Seeds_are_accepted_inputs_and_raise_no_finding(string name)
    {
        FuzzTarget target = FuzzTargets.Find(name)!;
        IReadOnlyList<byte[]> seeds = target.Seeds();
        Assert.NotEmpty(seeds);
        foreach (byte[] seed in seeds) Assert.Null(SmokeRun.Execute(target, seed));
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Thirty_thousand_mutants_raise_no_finding(string name)
    {
        SmokeRun.Outcome o = SmokeRun.Run(FuzzTargets.Find(name)!, mutants: 30_000, seed: 20261127, limit: TimeSpan.FromSeconds(60));
        Assert.True(o.Finding is null, $"{o.Finding}\ninput (hex): {Convert.ToHexString(o.FindingInput ?? [])}");
        Assert.True(o.Executions > 1_000, $"only {o.Executions} inputs ran within the time limit");
    }

    [Fact]
    public void Sbe_seeds_all_decode_and_mutants_still_reach_the_decoders()
    {
        FuzzTarget target = FuzzTargets.Find("sbe")!;
        long before = SbeRequestTarget.Decoded;
        foreach (byte[] seed in target.Seeds()) SbeRequestTarget.Run(seed);
        Assert.Equal(target.Seeds().Count + 1, SbeRequestTarget.Decoded - before); // the last seed holds two frames
        before = SbeRequestTarget.Decoded;
        SmokeRun.Run(target, mutants: 20_000, seed: 5, limit: TimeSpan.FromSeconds(60));
        // Without this the mutants would all die at the framing and the decoders would go untested.
        Assert.True(SbeRequestTarget.Decoded - before > 200, $"only {SbeRequestTarget.Decoded - before} of 20,000 mutants were validated and decoded");
    }

    [Fact]
    public void Client_seeds_complete_requests_and_mutants_still_reach_the_decoders()
    {
        FuzzTarget target = FuzzTargets.Find("client")!;
        IReadOnlyList<byte[]> seeds = target.Seeds();
        Assert.True(seeds.Count >= 16, $"{seeds.Count} seeds: one per response template expected");
        // Each answer seed (CreateResults x3, AccountsFound, TransfersFound, HistoryPage, BalanceAt, and the stream's
        // CreateResults) must be read to a result by the request kinds it answers; a seed that died at a check would
        // mean the target tests nothing.
        for (int i = 0; i < seeds.Count; i++)
        {
            long before = ClientResponseTarget.Completed;
            ClientResponseTarget.Run(seeds[i]);
            bool isAnswer = i <= 6 || i == seeds.Count - 1;
            Assert.True(!isAnswer || ClientResponseTarget.Completed > before, $"answer seed {i} completed no request");
        }
        long start = ClientResponseTarget.Completed;
        SmokeRun.Run(target, mutants: 20_000, seed: 5, limit: TimeSpan.FromSeconds(60));
        Assert.True(ClientResponseTarget.Completed - start > 500, $"only {ClientResponseTarget.Completed - start} completions from 20,000 mutants");
    }

    [Fact]
    public void Client_target_flags_an_answer_with_an_id_not_asked_for_only_if_the_sdk_accepts_it()
    {
        // AccountsFound for a 4-id lookup (ids 1..4) naming id 1 and 3: fine. Rewrite the second id to 77 (not asked
        // for): the SDK must refuse it (WalletProtocolException inside the target), so no finding either way — but
        // the request must not complete with it.
        FuzzTarget target = FuzzTargets.Find("client")!;
        byte[] seed = (byte[])target.Seeds()[3].Clone();
        Assert.Null(SmokeRun.Execute(target, seed));
        int secondId = seed.Length - Wallet.Protocol.Sbe.AccountsFoundDecoder.AccountsDecoder.BlockLength;
        Assert.Equal(3, seed[secondId]);
        seed[secondId] = 77;
        long before = ClientResponseTarget.Completed;
        Assert.Null(SmokeRun.Execute(target, seed));
        Assert.Equal(before, ClientResponseTarget.Completed);
    }

    [Fact]
    public void A_frame_whose_length_runs_past_the_input_waits_for_more_bytes()
    {
        byte[] seed = FuzzTargets.Find("sbe")!.Seeds()[4];
        long before = SbeRequestTarget.Decoded;
        SbeRequestTarget.Run(seed.AsSpan(0, seed.Length - 1)); // one byte short: NeedMore, nothing decoded, no finding
        Assert.Equal(before, SbeRequestTarget.Decoded);
    }

    [Fact]
    public void Snapshot_target_takes_trailing_bytes_and_precise_refusals_as_designed()
    {
        // Appending bytes after a valid state is fine (the reader stops at the trailer); changing a reserved header
        // byte must be refused by Restore (InvalidDataException), which the target accepts as a precise refusal.
        byte[] seed = FuzzTargets.Find("snapshot")!.Seeds()[1];
        Assert.Null(SmokeRun.Execute(FuzzTargets.Find("snapshot")!, [.. seed, 1, 2, 3]));
        byte[] reserved = (byte[])seed.Clone();
        reserved[53] = 1; // bytes 52..55 stay reserved (56..63 hold ForgottenSagaHighWater)
        Assert.Throws<InvalidDataException>(() => Wallet.Engine.Ledger.LedgerStateMachine.Restore(
            new Wallet.Engine.Ledger.LedgerOptions
            {
                Catalog = new Wallet.Engine.Ledger.LedgerCatalog([new Wallet.Engine.Ledger.LedgerDefinition(1, "USD", 2), new Wallet.Engine.Ledger.LedgerDefinition(2, "JPY", 0)]),
                MaxAccounts = 64, MaxBatchSize = 16, MaxPendingTransfers = 16, TransferRetentionCount = 64,
            }, new MemoryStream(reserved)));
        Assert.Null(SmokeRun.Execute(FuzzTargets.Find("snapshot")!, reserved));
    }

    [Fact]
    public void Raft_seeds_are_real_traffic_node_1_follows()
    {
        IReadOnlyList<byte[]> seeds = FuzzTargets.Find("raft")!.Seeds();
        RaftTarget.Run(seeds[^1]);
        Assert.True(RaftTarget.LastRun.Term >= 1, $"term {RaftTarget.LastRun.Term}");
        Assert.True(RaftTarget.LastRun.LastIndex >= 5, $"node 1 appended only {RaftTarget.LastRun.LastIndex} entries");
        Assert.Equal(0, RaftTarget.LastRun.Malformed);
        byte[] flipped = (byte[])seeds[^1].Clone();
        flipped[6] ^= 0xFF; // inside the first message's SBE header: schema id
        RaftTarget.Run(flipped);
        Assert.True(RaftTarget.LastRun.Malformed >= 1);
    }

    [Fact]
    public void A_target_exception_is_reported_as_a_finding()
    {
        var broken = new FuzzTarget("broken", "throws on a zero byte", input =>
        {
            if (input.IndexOf((byte)0) >= 0) throw new FuzzFinding("zero byte");
        }, () => [[1, 2, 3]]);
        SmokeRun.Outcome o = SmokeRun.Run(broken, mutants: 10_000, seed: 3, limit: TimeSpan.FromSeconds(30));
        Assert.IsType<FuzzFinding>(o.Finding);
        Assert.Contains((byte)0, o.FindingInput!);
    }
}
