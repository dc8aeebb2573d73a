using Wallet.Engine.Ledger;

namespace Wallet.Engine.ReadModel;

/// <summary>An account as the read model holds it: its static fields with the balances after <see cref="Index"/>.</summary>
public readonly record struct AccountView(Account Account, long Index);
