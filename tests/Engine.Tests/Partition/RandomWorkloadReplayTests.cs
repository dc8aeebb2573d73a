using System.Runtime.InteropServices;
using Wallet.Engine.Audit;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Engine.Tests.Support;
using static Wallet.Engine.Tests.Ledger.LedgerHarness;

namespace Wallet.Engine.Tests.Partition;

/// <summary>
/// The journal is the source of truth: for seeded random workloads through the real pipeline,
/// live digest == replay from genesis == newest snapshot + tail == restart, and conservation holds on each.
/// </summary>
public sealed class RandomWorkloadReplayTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Live_digest_equals_replay_from_genesis_and_snapshot_plus_tail(int seed)
    {
        using var dir = new TempDirectory("replay");
        var random = new Random(seed); // test-side generator only; the engine never sees it
        UInt128 liveDigest;
        long lastIndex;
        using (var p = new PartitionFixture(dir.Path))
        {
            var accounts = new List<Account>();
            for (int i = 1; i <= 24; i++)
            {
                AccountFlags flags = random.Next(4) switch
                {
                    0 => AccountFlags.DebitsMustNotExceedCredits,
                    1 => AccountFlags.CreditsMustNotExceedDebits,
                    _ => AccountFlags.None,
                };
                accounts.Add(Acc((UInt128)i, ledger: (uint)(i % 3 == 0 ? 2 : 1), flags: flags));
            }
            p.CreateAccounts([.. accounts]);

            var pendings = new List<UInt128>();
            ulong nextId = 1000;
            for (int command = 0; command < 120; command++)
            {
                p.Clock.Advance(random.Next(1, 3) * 400_000_000L); // pending timeouts (1–3 s) expire along the way
                int n = random.Next(1, 9);
                var batch = new Transfer[n];
                for (int i = 0; i < n; i++)
                {
                    UInt128 id = nextId++;
                    int kind = random.Next(10);
                    if (kind < 2 && pendings.Count > 0)
                    {
                        UInt128 pending = pendings[random.Next(pendings.Count)];
                        batch[i] = kind == 0 ? Post(id, pending, random.Next(0, 50)) : Void(id, pending);
                    }
                    else
                    {
                        int debit = random.Next(1, 25), credit = random.Next(1, 25);
                        TransferFlags flags = kind == 2 ? TransferFlags.Pending : TransferFlags.None;
                        batch[i] = Tx(id, (UInt128)debit, (UInt128)credit, random.Next(1, 100), ledger: (uint)(debit % 3 == 0 ? 2 : 1),
                            flags: flags, timeoutSeconds: flags == TransferFlags.Pending ? (uint)random.Next(1, 4) : 0);
                        if (flags == TransferFlags.Pending) pendings.Add(id);
                    }
                    if (i < n - 1 && random.Next(6) == 0) batch[i].Flags |= TransferFlags.Linked;
                }
                if (random.Next(8) == 0) p.CreateTransfers(batch[0]); // a duplicate now and then
                p.CreateTransfers(batch);
                if (command % 37 == 36) p.Engine.RequestSnapshot();
            }
            liveDigest = p.Digest();
            lastIndex = p.Engine.AppliedIndex;
            Assert.True(p.Stop(snapshot: false));
            Assert.True(p.Engine.LastSnapshotIndex > 0, "the workload asked for snapshots");
        }

        LedgerOptions ledger = new PartitionFixture.OptionsOnly(dir.Path).Ledger;
        ReplayResult genesis = LedgerReplay.Replay(dir.Path, ledger, ReplayTarget.End, useSnapshots: false);
        ReplayResult fromSnapshot = LedgerReplay.Replay(dir.Path, ledger, ReplayTarget.End, useSnapshots: true);
        Assert.Equal(lastIndex, genesis.LastIndex);
        Assert.Equal(0, genesis.StartSnapshotIndex);
        Assert.True(fromSnapshot.StartSnapshotIndex > 0);
        Assert.True(fromSnapshot.CommandsReplayed < genesis.CommandsReplayed);
        Assert.Equal(liveDigest, genesis.Ledger.ComputeDigest());
        Assert.Equal(liveDigest, fromSnapshot.Ledger.ComputeDigest());
        LedgerInvariants.Check(genesis.Ledger);

        using var restarted = new PartitionFixture(dir.Path);
        Assert.Equal(liveDigest, restarted.Digest());
    }
}
