import { IsString, ValidateBy, ValidationArguments } from 'class-validator';
import { FIELD_RULES, FieldName, textProblem } from './field-rules';

/**
 * A string DTO property under the shared rule of `field` (length and characters; see field-rules.ts),
 * the same rule the op API applies to its field of that name. Combine with IsNotEmpty / IsOptional.
 */
export function TextField(field: FieldName): PropertyDecorator {
  const rule = FIELD_RULES[field];
  const isString = IsString();
  const wellFormed = ValidateBy({
    name: 'textField',
    validator: {
      // A non-string is IsString's to report.
      validate: (value: unknown) => typeof value !== 'string' || textProblem(value, rule) === undefined,
      defaultMessage: (args?: ValidationArguments) =>
        `${args?.property ?? field} ${typeof args?.value === 'string' ? (textProblem(args.value, rule) ?? '') : ''}`.trim(),
    },
  });
  return (target: object, property: string | symbol) => {
    isString(target, property);
    wellFormed(target, property);
  };
}
