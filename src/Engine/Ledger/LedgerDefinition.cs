namespace Wallet.Engine.Ledger;

/// <summary>
/// One ledger (currency): <paramref name="Code"/> is the wire value in Account/Transfer.Ledger,
/// <paramref name="Symbol"/> a display name ("USD"), <paramref name="Scale"/> the number of decimal places
/// of one minor unit (USD 2, JPY 0, BTC 8; at most <see cref="AmountText.MaxScale"/>).
/// </summary>
public sealed record LedgerDefinition(uint Code, string Symbol, byte Scale);
