import { IsString, ValidateBy, ValidationArguments } from 'class-validator';
import { FIELD_RULES, FieldName, FieldRule, textProblem } from './field-rules';

/**
 * A string DTO property under the shared rule of `field` (length and characters; see field-rules.ts),
 * the same rule the op API applies to its field of that name. Combine with IsNotEmpty / IsOptional.
 * A login method's own fields pass their rule directly (`TextField({ maxLength: 64, kind: 'line' })`).
 */
export function TextField(field: FieldName | FieldRule): PropertyDecorator {
  const rule = typeof field === 'string' ? FIELD_RULES[field] : field;
  const isString = IsString();
  const wellFormed = ValidateBy({
    name: 'textField',
    validator: {
      // A non-string is IsString's to report.
      validate: (value: unknown) => typeof value !== 'string' || textProblem(value, rule) === undefined,
      defaultMessage: (args?: ValidationArguments) =>
        `${args?.property ?? 'value'} ${typeof args?.value === 'string' ? (textProblem(args.value, rule) ?? '') : ''}`.trim(),
    },
  });
  return (target: object, property: string | symbol) => {
    isString(target, property);
    wellFormed(target, property);
  };
}
