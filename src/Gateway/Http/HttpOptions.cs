using System.Net;

namespace Wallet.Gateway.Http;

/// <summary>Limits and endpoint of the HTTP/JSON API. Every limit carries its unit in its name. See docs/http.md.</summary>
public sealed class HttpOptions
{
    /// <summary>Address to bind; loopback by default (plain HTTP, no TLS: put a TLS proxy in front to expose it).</summary>
    public IPAddress BindAddress { get; init; } = IPAddress.Loopback;
    /// <summary>TCP port; 0 picks an ephemeral port (tests).</summary>
    public int Port { get; init; } = 7480;
    /// <summary>Largest request body accepted. Larger → 413 Problem Details, body not read.</summary>
    public int MaxRequestBodyBytes { get; init; } = 16 * 1024;
    /// <summary>How long a command may wait for its committed result before the request answers 504 (outcome unknown).</summary>
    public int CommandTimeoutMs { get; init; } = 5000;
    /// <summary>Commands submitted by the HTTP API and not yet answered, in total. Beyond → 503 Busy.</summary>
    public int MaxInFlightCommands { get; init; } = 4096;
    /// <summary>Concurrent connections Kestrel accepts.</summary>
    public int MaxConnections { get; init; } = 1024;
    /// <summary>A verified credential is remembered this long (by a SHA-256 of it) so that PBKDF2 does not run per request.</summary>
    public int CredentialCacheSeconds { get; init; } = 60;
    /// <summary>Password checks (PBKDF2) running at once; a request beyond it waits up to CommandTimeoutMs, then gets 503.</summary>
    public int MaxConcurrentPasswordChecks { get; init; } = Math.Max(1, Environment.ProcessorCount / 2);

    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(BindAddress);
        if (Port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(Port), Port, "0..65535");
        if (MaxRequestBodyBytes is < 256 or > 16 << 20) throw new ArgumentOutOfRangeException(nameof(MaxRequestBodyBytes), MaxRequestBodyBytes, "256 bytes..16 MiB");
        if (CommandTimeoutMs is < 10 or > 600_000) throw new ArgumentOutOfRangeException(nameof(CommandTimeoutMs), CommandTimeoutMs, "10..600000 ms");
        if (MaxInFlightCommands is < 1 or > 1_000_000) throw new ArgumentOutOfRangeException(nameof(MaxInFlightCommands), MaxInFlightCommands, "1..1000000");
        if (MaxConnections is < 1 or > 1_000_000) throw new ArgumentOutOfRangeException(nameof(MaxConnections), MaxConnections, "1..1000000");
        if (CredentialCacheSeconds is < 0 or > 86_400) throw new ArgumentOutOfRangeException(nameof(CredentialCacheSeconds), CredentialCacheSeconds, "0..86400 s");
        if (MaxConcurrentPasswordChecks is < 1 or > 1024) throw new ArgumentOutOfRangeException(nameof(MaxConcurrentPasswordChecks), MaxConcurrentPasswordChecks, "1..1024");
    }
}
