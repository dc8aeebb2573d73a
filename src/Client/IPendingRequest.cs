namespace Wallet.Client;

/// <summary>
/// A request the client owns until its answer arrives: queued, in flight, waiting out a Busy, or being
/// resubmitted. Its payload is immutable, so it can be encoded again with a new correlation id at any time.
/// </summary>
internal interface IPendingRequest
{
    RequestKind Kind { get; }
    int FrameBytes { get; }
    int ItemCount { get; }
    /// <summary><see cref="System.Diagnostics.Stopwatch"/> timestamp after which the caller gets a TimeoutException.</summary>
    long DeadlineTimestamp { get; }
    /// <summary>Correlation id of the latest send (0 before the first); written under the client's lock.</summary>
    ulong CorrelationId { get; set; }
    int BusyAttempts { get; set; }
    /// <summary>Sent on a connection that was lost before the answer: the first send may have been applied.</summary>
    bool Resubmitted { get; set; }
    /// <summary>The caller already has an outcome (result, error, cancellation, timeout).</summary>
    bool IsFinished { get; }

    int Encode(Span<byte> frame, ulong correlationId);

    /// <summary>Decodes the answer and completes the caller; throws <see cref="WalletProtocolException"/> if it does not fit.</summary>
    void Complete(ushort templateId, ReadOnlySpan<byte> sbe, bool resubmittedExistsAsOk);

    void Fail(Exception error);
}
