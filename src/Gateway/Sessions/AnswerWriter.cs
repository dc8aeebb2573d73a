namespace Wallet.Gateway.Sessions;

/// <summary>Encodes one framed response into <paramref name="room"/> and returns the bytes written.</summary>
internal delegate int AnswerWriter<in TState>(Span<byte> room, TState state);
