namespace Wallet.Client;

/// <summary>A gateway address (host name or IP literal, TCP port).</summary>
public readonly record struct WalletEndpoint(string Host, int Port)
{
    public override string ToString() => $"{Host}:{Port}";
}
