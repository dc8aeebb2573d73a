namespace Wallet.Engine.ReadModel;

/// <summary>
/// How far the view trails the event journal: <see cref="Events"/> log records not yet applied, and for how long
/// the view has been behind (<see cref="BehindMs"/>: 0 when caught up; measured from the moment the projector first
/// saw work it had not yet applied).
/// </summary>
public readonly record struct ReadModelLag(long JournalIndex, long ViewIndex, long Events, long BehindMs);
