import { isEmailChannel, OtpMessage, OtpSender } from './otp-sender';

/** Hands each code to the transport of its channel: SMS or email. */
export class RoutingOtpSender extends OtpSender {
  constructor(
    private readonly sms: OtpSender,
    private readonly email: OtpSender,
  ) {
    super();
  }

  send(message: OtpMessage): Promise<void> {
    return (isEmailChannel(message.channel) ? this.email : this.sms).send(message);
  }
}
