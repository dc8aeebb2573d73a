using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Wallet.Gateway.Auth;

/// <summary>
/// Salted password hashes: PBKDF2-HMAC-SHA256 with a per-user random salt and iteration count, stored as
/// <c>pbkdf2-sha256$ITERATIONS$SALT_BASE64$HASH_BASE64</c>. Verification compares in constant time.
/// </summary>
public static class PasswordHasher
{
    public const string Scheme = "pbkdf2-sha256";
    /// <summary>OWASP (2023) guidance for PBKDF2-HMAC-SHA256.</summary>
    public const int DefaultIterations = 600_000;
    /// <summary>Below this a hash is refused when loading users (tests use it for speed).</summary>
    public const int MinIterations = 1000;
    public const int MaxIterations = 10_000_000;
    public const int SaltBytes = 16;
    public const int HashBytes = 32;
    public const int MaxPasswordBytes = 1024;

    public static string Hash(string password, int iterations = DefaultIterations)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, MinIterations);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(iterations, MaxIterations);
        byte[] salt = RandomNumberGenerator.GetBytes(SaltBytes);
        byte[] hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Create(CultureInfo.InvariantCulture, $"{Scheme}${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    /// <summary>Parses a stored hash; false (with a reason) when it is not of our scheme or out of bounds.</summary>
    public static bool TryParse(string encoded, out StoredPassword stored, out string error)
    {
        stored = default;
        string[] parts = (encoded ?? string.Empty).Split('$');
        if (parts.Length != 4 || parts[0] != Scheme)
        {
            error = $"expected '{Scheme}$ITERATIONS$SALT$HASH' (make one with 'wallet hash-password')";
            return false;
        }
        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int iterations) || iterations < MinIterations || iterations > MaxIterations)
        {
            error = $"iteration count must be {MinIterations}..{MaxIterations}";
            return false;
        }
        byte[] salt, hash;
        try
        {
            salt = Convert.FromBase64String(parts[2]);
            hash = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            error = "salt and hash must be base64";
            return false;
        }
        if (salt.Length < 8 || hash.Length != HashBytes)
        {
            error = $"salt must be at least 8 bytes and hash {HashBytes} bytes";
            return false;
        }
        stored = new StoredPassword(iterations, salt, hash);
        error = string.Empty;
        return true;
    }

    /// <summary>Derives from <paramref name="password"/> (UTF-8 bytes off the wire) and compares in constant time.</summary>
    public static bool Verify(ReadOnlySpan<byte> password, in StoredPassword stored)
    {
        Span<byte> derived = stackalloc byte[HashBytes];
        Rfc2898DeriveBytes.Pbkdf2(password, stored.Salt, derived, stored.Iterations, HashAlgorithmName.SHA256);
        return CryptographicOperations.FixedTimeEquals(derived, stored.Hash);
    }
}

/// <summary>A parsed salted hash.</summary>
public readonly record struct StoredPassword(int Iterations, byte[] Salt, byte[] Hash);
