import { ConfigError } from './env';
import { loadDemoConfig } from './demo.config';

describe('DEMO_PAGE', () => {
  it('is on by default outside production and off in production', () => {
    expect(loadDemoConfig({}).pageEnabled).toBe(true);
    expect(loadDemoConfig({ NODE_ENV: 'test' }).pageEnabled).toBe(true);
    expect(loadDemoConfig({ NODE_ENV: 'production' }).pageEnabled).toBe(false);
  });

  it('is what it says when set, in production too', () => {
    expect(loadDemoConfig({ DEMO_PAGE: 'false' }).pageEnabled).toBe(false);
    expect(loadDemoConfig({ DEMO_PAGE: 'yes', NODE_ENV: 'production' }).pageEnabled).toBe(true);
  });

  it('refuses a value that is not a boolean, naming the variable', () => {
    expect(() => loadDemoConfig({ DEMO_PAGE: 'sometimes' })).toThrow(ConfigError);
    expect(() => loadDemoConfig({ DEMO_PAGE: 'sometimes' })).toThrow(/DEMO_PAGE must be true or false/);
  });
});
