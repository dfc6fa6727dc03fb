import { PipeTransform } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { InvalidRequestError } from '../common/errors';

/**
 * A user id of a path: a UUID, lowercased as ids are stored (the database compares exactly).
 * A malformed one is bad input like any other: 400 invalid_request.
 */
export const USER_ID_PIPE: PipeTransform<unknown, string> = {
  transform(value: unknown): string {
    if (typeof value !== 'string' || !isUUID(value)) throw new InvalidRequestError('The user id is not valid.', ['id must be a UUID']);
    return value.toLowerCase();
  },
};
