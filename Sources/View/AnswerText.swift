import Foundation
import SessionKit
import Support

/// "answered 2 min ago, not yet read" / "answered 3 min ago, read 1 min ago".
public enum AnswerText {
    public static func describe(_ answer: StuckAnswer, now: Date) -> String {
        let answered = "answered \(ago(answer.answeredAt, now))"
        switch answer.state {
        case .unread: return answered + ", not yet read"
        case .read: return answered + (answer.readAt.map { ", read \(ago($0, now))" } ?? ", read")
        }
    }

    static func ago(_ date: Date, _ now: Date) -> String {
        let seconds = now.timeIntervalSince(date)
        return seconds < 1 ? "just now" : "\(HumanDuration.describe(seconds)) ago"
    }
}
