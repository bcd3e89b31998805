import { describe, expect, it } from 'vitest';
import { parsePrd, storyFingerprint } from '../../src/queue/prd.js';

describe('a prd.json as tasks', () => {
  it("makes each story that does not pass a task: its data the story, its priority's opposite its rank, dependencies on passing stories met", () => {
    const prd = {
      userStories: [
        { id: 'A', title: 'a', priority: 2, passes: false, notes: 'n', dependencies: ['B', 'C'] },
        { id: 'B', title: 'b', priority: 1, passes: true },
        { id: 'C', title: 'c' },
      ],
    };
    expect(parsePrd(JSON.stringify(prd), 'prd.json')).toEqual({
      tasks: [
        {
          id: 'A',
          type: 'story',
          data: { id: 'A', title: 'a', priority: 2, notes: 'n' },
          priority: -2,
          depends_on: ['C'],
          prd_story: expect.stringMatching(/^[0-9a-f]{16}$/),
        },
        { id: 'C', type: 'story', data: { id: 'C', title: 'c' }, prd_story: storyFingerprint({ id: 'C', title: 'c' }) },
      ],
      passing: ['B'],
    });
  });

  it('fingerprints what a story says, not whether it passes', () => {
    expect(storyFingerprint({ id: 'A', title: 'a', passes: false })).toBe(storyFingerprint({ id: 'A', title: 'a', passes: true }));
    expect(storyFingerprint({ id: 'A', title: 'a' })).not.toBe(storyFingerprint({ id: 'A', title: 'b' }));
  });

  it.each([
    ['not json', 'prd.json: invalid JSON: '],
    ['[]', 'prd.json: expected a prd.json with a `userStories` list'],
    ['{"userStories": [1]}', 'prd.json: userStories[0] must be an object.'],
    ['{"userStories": [{"id": ""}]}', 'prd.json: userStories[0]: `id` must be a non-empty string.'],
    ['{"userStories": [{"id": "A", "passes": "no"}]}', 'prd.json: userStories[0]: `passes` must be true or false.'],
    ['{"userStories": [{"id": "A", "dependencies": "B"}]}', 'prd.json: userStories[0]: `dependencies` must be a list of story ids.'],
  ])('refuses %s', (text, message) => {
    expect(() => parsePrd(text, 'prd.json')).toThrow(message);
  });
});
