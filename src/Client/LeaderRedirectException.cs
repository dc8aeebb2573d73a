namespace Wallet.Client;

/// <summary>Internal signal: the gateway named another node as leader; the client reconnects there and resubmits.</summary>
internal sealed class LeaderRedirectException : Exception
{
    public LeaderRedirectException(WalletEndpoint leader, long term)
        : base($"redirected to leader {leader} (term {term})")
    {
        Leader = leader;
        Term = term;
    }

    public LeaderRedirectException() { }
    public LeaderRedirectException(string message) : base(message) { }
    public LeaderRedirectException(string message, Exception inner) : base(message, inner) { }

    public WalletEndpoint Leader { get; }
    public long Term { get; }

    /// <summary>Decodes a Redirect message (template checked by the caller) into this signal.</summary>
    public static LeaderRedirectException FromFrame(ReadOnlySpan<byte> sbe)
    {
        InboundFrame.CheckBlock(sbe, Protocol.Sbe.RedirectDecoder.BlockLength, "Redirect");
        Protocol.Sbe.RedirectDecoder.TryWrapWithHeader(sbe, 0, out var redirect);
        ushort port = redirect.LeaderPort;
        long term = redirect.Term;
        string host = redirect.GetLeaderHost();
        if (port == 0 || string.IsNullOrWhiteSpace(host))
        {
            throw new WalletProtocolException($"Redirect names no usable leader (host '{host}', port {port})");
        }
        return new LeaderRedirectException(new WalletEndpoint(host, port), term);
    }
}
