namespace Wallet.Host.Configuration;

/// <summary>A configuration value is missing or invalid; the message names the setting (exit code 2).</summary>
public sealed class SettingsException : Exception
{
    public SettingsException() { }
    public SettingsException(string message) : base(message) { }
    public SettingsException(string message, Exception inner) : base(message, inner) { }
}
