using Microsoft.Extensions.Logging;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Host.Sagas;
using Wallet.Saga;

namespace Wallet.Gateway.Tests;

/// <summary>
/// The node's 601 log line (a saga ended with its outcome unknown) is written from the saga's row, named by the saga id the
/// completion carries — the adapters no longer keep a copy of every submitted transfer for it.
/// </summary>
public sealed class SagaLogTests
{
    private sealed class Lines : ILogger
    {
        public readonly List<(EventId Id, string Text)> All = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            All.Add((eventId, formatter(state, exception)));
    }

    private struct NoSink : ISagaSink
    {
        public readonly void OnStepRequest(int partition, in Transfer step) { }
        public readonly void OnCompleted(long correlationId, ulong sagaId, ResultCode code, long timestamp) { }
    }

    [Fact]
    public void The_forgotten_outcome_line_names_the_transfer_from_the_sagas_row()
    {
        var map = PartitionMap.Uniform(2);
        var machine = new SagaStateMachine(new SagaOptions { Map = map, Catalog = new LedgerCatalog([new LedgerDefinition(1, "USD", 2)]) });
        UInt128 a = 1, b = 2;
        while (map.PartitionOf(b) == map.PartitionOf(a)) b++;
        var transfer = new Transfer { Id = 77, DebitAccountId = a, CreditAccountId = b, Amount = 1234, Ledger = 1, Code = 1 };
        var begin = new byte[SagaCommands.BeginSizeBytes];
        SagaCommands.WriteBegin(begin, in transfer, 5, SagaMode.Saga);
        var sink = new NoSink();
        machine.Execute(new CommandStamp(1, 1, 1_700_000_000_000_000_000), SagaCommandKind.Begin, begin, ref sink);
        Assert.True(machine.TryGetSagaByTransfer(77, out var saga));

        var log = new Lines();
        SagaLog.ReportOutcomeForgotten(log, machine, saga.SagaId, ResultCode.StepOutcomeForgotten);
        SagaLog.ReportOutcomeForgotten(log, machine, 999, ResultCode.StepOutcomeForgotten); // no such row: the ids known

        Assert.Equal(2, log.All.Count);
        Assert.All(log.All, l => Assert.Equal(601, l.Id.Id));
        Assert.Contains("Cross-partition transfer 77 (", log.All[0].Text);
        Assert.Contains("1234 minor units", log.All[0].Text);
        Assert.Contains($"saga {saga.SagaId} retried", log.All[0].Text);
        Assert.Contains($"on partition {map.PartitionOf(a)}", log.All[0].Text);
        Assert.Contains("saga 999 retried", log.All[1].Text);
        Assert.Contains("on partition -1", log.All[1].Text);
    }
}
