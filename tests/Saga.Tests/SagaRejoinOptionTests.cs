using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Replication;
using Wallet.Saga.Replicated;

namespace Wallet.Saga.Tests;

/// <summary>The saga group's replica sizes its own RaftOptions from the cluster's: RejoinAfterDataLoss must survive the copy.</summary>
public sealed class SagaRejoinOptionTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Sizing_the_saga_groups_raft_options_keeps_rejoin_after_data_loss_and_its_quiet_period(bool rejoin)
    {
        var saga = new SagaOptions { Map = PartitionMap.Uniform(2), Catalog = new LedgerCatalog([new LedgerDefinition(1, "USD", 2)]) };
        RaftOptions sized = SagaReplicaCore.SizeRaftOptions(new RaftOptions { NodeId = 3, Members = [1, 2, 3], RejoinAfterDataLoss = rejoin, RejoinQuietMs = 4321 }, saga, out _, out _);
        Assert.Equal((rejoin, 4321), (sized.RejoinAfterDataLoss, sized.RejoinQuietMs));
        sized.Validate();
    }
}
