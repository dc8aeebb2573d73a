using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Wallet.Gateway.Auth;

namespace Wallet.Gateway.Http;

/// <summary>Why a request carries no usable identity.</summary>
public enum AuthFailure
{
    None,
    Missing,
    Malformed,
    BadCredentials,
    Busy,
}

/// <summary>
/// Authenticates HTTP requests against the same user directory (and so the same roles and debit grants) as the
/// SBE gateway. Accepted forms, all carrying a user name and its password/API key:
/// <c>Authorization: Bearer NAME:KEY</c>, <c>Authorization: Basic base64(NAME:KEY)</c>, <c>X-Api-Key: NAME:KEY</c>.
/// PBKDF2 is deliberately slow, so a verified credential is remembered for a short time, keyed by a SHA-256 of
/// the whole credential (the cache never holds the secret itself); a wrong one is never cached.
/// </summary>
public sealed class HttpAuthenticator
{
    private const int MaxCacheEntries = 4096;
    private const int MaxCredentialChars = 1024;

    private readonly UserDirectory _users;
    private readonly long _cacheTicks;
    private readonly SemaphoreSlim _checks;
    private readonly TimeSpan _checkWait;
    private readonly ConcurrentDictionary<string, (UserPrincipal Principal, long ExpiresAtMs)> _cache = new(StringComparer.Ordinal);

    public HttpAuthenticator(UserDirectory users, int cacheSeconds, int maxConcurrentChecks, TimeSpan checkWait)
    {
        ArgumentNullException.ThrowIfNull(users);
        _users = users;
        _cacheTicks = cacheSeconds * 1000L;
        _checks = new SemaphoreSlim(maxConcurrentChecks, maxConcurrentChecks);
        _checkWait = checkWait;
    }

    public async ValueTask<(UserPrincipal? Principal, AuthFailure Failure)> AuthenticateAsync(HttpRequest request, CancellationToken cancel)
    {
        if (!TryReadCredential(request, out string? name, out string? secret, out AuthFailure failure)) return (null, failure);
        string cacheKey = CacheKey(name!, secret!);
        long now = Environment.TickCount64;
        if (_cache.TryGetValue(cacheKey, out var cached) && cached.ExpiresAtMs > now) return (cached.Principal, AuthFailure.None);

        if (!await _checks.WaitAsync(_checkWait, cancel).ConfigureAwait(false)) return (null, AuthFailure.Busy);
        UserPrincipal? principal;
        try
        {
            // PBKDF2 on a pool thread: bounded by the semaphore, so a burst cannot starve request handling.
            principal = await Task.Run(() => _users.Authenticate(Encoding.UTF8.GetBytes(name!), Encoding.UTF8.GetBytes(secret!)), cancel).ConfigureAwait(false);
        }
        finally
        {
            _checks.Release();
        }
        if (principal is null) return (null, AuthFailure.BadCredentials);
        if (_cacheTicks > 0)
        {
            if (_cache.Count >= MaxCacheEntries) _cache.Clear();
            _cache[cacheKey] = (principal, now + _cacheTicks);
        }
        return (principal, AuthFailure.None);
    }

    private static bool TryReadCredential(HttpRequest request, out string? name, out string? secret, out AuthFailure failure)
    {
        name = secret = null;
        string? token = null;
        string? authorization = request.Headers.Authorization;
        string? apiKey = request.Headers["X-Api-Key"];
        if (!string.IsNullOrEmpty(authorization))
        {
            if (authorization.Length > MaxCredentialChars) return Fail(out failure);
            if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                token = authorization[7..].Trim();
            }
            else if (authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
            {
                byte[] decoded = new byte[authorization.Length];
                if (!Convert.TryFromBase64String(authorization[6..].Trim(), decoded, out int length)) return Fail(out failure);
                try
                {
                    token = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(decoded, 0, length);
                }
                catch (DecoderFallbackException)
                {
                    return Fail(out failure);
                }
            }
            else
            {
                return Fail(out failure);
            }
        }
        else if (!string.IsNullOrEmpty(apiKey))
        {
            if (apiKey.Length > MaxCredentialChars) return Fail(out failure);
            token = apiKey.Trim();
        }
        else
        {
            failure = AuthFailure.Missing;
            return false;
        }
        int colon = token.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == token.Length - 1) return Fail(out failure);
        name = token[..colon];
        secret = token[(colon + 1)..];
        failure = AuthFailure.None;
        return true;
    }

    private static bool Fail(out AuthFailure failure)
    {
        failure = AuthFailure.Malformed;
        return false;
    }

    private static string CacheKey(string name, string secret)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(name + "\n" + secret), hash);
        return Convert.ToHexString(hash);
    }
}
