using System.Net;
using Microsoft.Extensions.Configuration;
using Wallet.Gateway.Auth;
using Wallet.Gateway.Fix;
using static Wallet.Host.Configuration.SettingsReader;

namespace Wallet.Host.Configuration;

/// <summary>The optional "Fix" section: absent or "Enabled": false → no FIX acceptor. Reference: docs/FIX.md.</summary>
internal static class FixSettings
{
    public static FixOptions? Load(IConfigurationSection f, string dataDirectory)
    {
        if (!f.Exists() || !string.Equals(f["Enabled"] ?? "true", "true", StringComparison.OrdinalIgnoreCase)) return null;
        string host = String(f, "Host", "127.0.0.1");
        if (!IPAddress.TryParse(host, out IPAddress? address))
            throw new SettingsException($"Fix:Host = '{host}' is invalid: expected an IP address such as 127.0.0.1.");
        var d = new FixOptions();
        var partners = new List<FixPartner>();
        foreach (IConfigurationSection p in f.GetSection("Partners").GetChildren())
        {
            string sender = String(p, "SenderCompId", string.Empty);
            string target = String(p, "TargetCompId", string.Empty);
            string user = String(p, "Username", string.Empty);
            string hash = String(p, "PasswordHash", string.Empty);
            if (sender.Length == 0 || target.Length == 0 || user.Length == 0 || hash.Length == 0)
                throw new SettingsException($"{p.Path}: SenderCompId, TargetCompId, Username and PasswordHash are required.");
            var debits = new List<string>();
            foreach (IConfigurationSection a in p.GetSection("DebitAccounts").GetChildren())
            {
                if (a.Value is not null) debits.Add(a.Value);
            }
            partners.Add(new FixPartner(sender, target, user, hash, Enum(p, "Role", Role.Client), debits));
        }
        string store = String(f, "StoreDirectory", string.Empty);
        var options = new FixOptions
        {
            BindAddress = address,
            Port = Int(f, "Port", d.Port, 1, 65535),
            MaxMessageBytes = Int(f, "MaxMessageBytes", d.MaxMessageBytes, 512, 1 << 20),
            MaxFields = Int(f, "MaxFields", d.MaxFields, 16, 1024),
            MinHeartbeatSeconds = Int(f, "MinHeartbeatSeconds", d.MinHeartbeatSeconds, 1, 3600),
            MaxHeartbeatSeconds = Int(f, "MaxHeartbeatSeconds", d.MaxHeartbeatSeconds, 1, 3600),
            LogonTimeoutMs = Int(f, "LogonTimeoutMs", d.LogonTimeoutMs, 10, 600_000),
            CloseLingerMs = Int(f, "CloseLingerMs", d.CloseLingerMs, 0, 60_000),
            MaxInFlightPerSession = Int(f, "MaxInFlightPerSession", d.MaxInFlightPerSession, 1, 65_536),
            MaxOutboundBytesPerSession = Int(f, "MaxOutboundBytesPerSession", d.MaxOutboundBytesPerSession, 4096, 256 << 20),
            MaxStoredMessages = Int(f, "MaxStoredMessages", d.MaxStoredMessages, 1, 10_000_000),
            Fsync = Enum(f, "Fsync", d.Fsync),
            StoreDirectory = store.Length == 0 ? System.IO.Path.Combine(dataDirectory, "fix") : System.IO.Path.GetFullPath(store),
            Partners = partners,
        };
        try
        {
            options.Validate();
            _ = new FixPartnerDirectory(partners); // checks the password hashes and grants now, not at first logon
        }
        catch (ArgumentException ex)
        {
            throw new SettingsException(ex.Message.StartsWith("Fix", StringComparison.Ordinal) ? ex.Message : $"Fix:Partners: {ex.Message}", ex);
        }
        return options;
    }
}
