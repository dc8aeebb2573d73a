using Wallet.Engine.Ledger;

namespace Wallet.Engine.Tests.Ledger;

public sealed class LedgerCatalogTests
{
    [Fact]
    public void Looks_up_by_code_and_symbol()
    {
        var catalog = new LedgerCatalog([new LedgerDefinition(840, "USD", 2), new LedgerDefinition(392, "JPY", 0), new LedgerDefinition(7, "BTC", 8)]);
        Assert.Equal(3, catalog.Count);
        Assert.True(catalog.Contains(392));
        Assert.False(catalog.Contains(1));
        Assert.True(catalog.TryGet(7, out var btc));
        Assert.Equal(8, btc.Scale);
        Assert.True(catalog.TryGetBySymbol("JPY", out var jpy));
        Assert.Equal(392u, jpy.Code);
        Assert.False(catalog.TryGetBySymbol("usd", out _));
        Assert.Equal([7u, 392u, 840u], catalog.Definitions.Select(d => d.Code));
    }

    public static TheoryData<LedgerDefinition[]> Invalid() => new()
    {
        Array.Empty<LedgerDefinition>(),
        new[] { new LedgerDefinition(0, "USD", 2) },
        new[] { new LedgerDefinition(1, "USD", 2), new LedgerDefinition(1, "EUR", 2) },
        new[] { new LedgerDefinition(1, "USD", 2), new LedgerDefinition(2, "USD", 2) },
        new[] { new LedgerDefinition(1, "USD", 19) },
        new[] { new LedgerDefinition(1, " ", 2) },
        new[] { new LedgerDefinition(1, "USD ", 2) },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Rejects_invalid_configuration(LedgerDefinition[] definitions) =>
        Assert.Throws<ArgumentException>(() => new LedgerCatalog(definitions));

    [Fact]
    public void Options_are_validated()
    {
        var catalog = LedgerHarness.Catalog;
        Assert.Throws<ArgumentOutOfRangeException>(() => new LedgerStateMachine(new LedgerOptions { Catalog = catalog, MaxAccounts = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LedgerStateMachine(new LedgerOptions { Catalog = catalog, MaxBatchSize = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LedgerStateMachine(new LedgerOptions { Catalog = catalog, TransferRetentionNs = -1 }));
    }
}
