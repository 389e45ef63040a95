import {expect} from '@loopback/testlab';
import {ApiWorld, PEOPLE, SHARED_ORG, seedSharedResources, unique} from '../fixtures/api-world';
import {forSuite} from '../fixtures/for-suite';

describe('Groups and sharing', () => {
  let world: ApiWorld;

  forSuite(() => ApiWorld.start(), started => (world = started));

  describe('groups', () => {
    it('makes the creator owner and first member, and normalises member emails', async () => {
      const owner = await world.as('owner');
      const {body} = await owner.post('/groups').send({name: unique('lab-')}).expect(200);
      expect(body).to.containDeep({owner: PEOPLE.owner, members: [PEOPLE.owner]});
      const members = await owner.post(`/groups/${body._id}/members`).query({memberEmail: '  New.Member@Lab.ORG '}).expect(200);
      expect(members.body).to.deepEqual([PEOPLE.owner, 'new.member@lab.org']);
      const again = await owner.post(`/groups/${body._id}/members`).query({memberEmail: 'new.member@lab.org'}).expect(200);
      expect(again.body).to.deepEqual(members.body);
    });

    it('refuses malformed member emails with 400 and changes nothing', async () => {
      const owner = await world.as('owner');
      const {body} = await owner.post('/groups').send({name: unique('lab-')}).expect(200);
      for (const bad of ['not-an-email', 'a/b@lab.org', 'x@', '']) {
        await owner.post(`/groups/${body._id}/members`).query({memberEmail: bad}).expect(400);
      }
      expect((await owner.get(`/groups/${body._id}/members`).expect(200)).body).to.deepEqual([PEOPLE.owner]);
    });

    it('refuses a second group of the same name for one owner with 409', async () => {
      const owner = await world.as('owner');
      const name = unique('same-');
      await owner.post('/groups').send({name}).expect(200);
      await owner.post('/groups').send({name}).expect(409);
      await (await world.as('writer')).post('/groups').send({name}).expect(200);
    });

    it('answers 404 when removing someone who is not a member', async () => {
      const owner = await world.as('owner');
      const {body} = await owner.post('/groups').send({name: unique('lab-')}).expect(200);
      await owner.delete(`/groups/${body._id}/members/nobody@lab.org`).expect(404);
    });

    it('lists the groups a person owns or belongs to', async () => {
      const {groupId} = await seedSharedResources(world);
      const mine = await (await world.as('group')).get('/groups').expect(200);
      expect(mine.body.map((g: {_id: string}) => g._id)).to.containEql(groupId);
      const theirs = await (await world.as('stranger')).get('/groups').expect(200);
      expect(theirs.body.map((g: {_id: string}) => g._id)).to.not.containEql(groupId);
    });
  });

  describe('sharing', () => {
    const ids = (res: {body: Array<{_id: string}>}) => res.body.map(item => item._id);

    it('lists a shared dataset to each grantee, and to no one else', async () => {
      const {datasetId} = await seedSharedResources(world);
      for (const person of ['direct', 'group', 'org', 'writer', 'owner', 'admin'] as const) {
        expect(ids(await (await world.as(person)).get('/datasets').expect(200))).to.containEql(datasetId);
      }
      expect(ids(await (await world.as('stranger')).get('/datasets').expect(200))).to.not.containEql(datasetId);
    });

    it('stops access on the next request after a revoke', async () => {
      const {datasetId} = await seedSharedResources(world);
      const owner = await world.as('owner');
      const direct = await world.as('direct');
      await direct.get(`/datasets/${datasetId}`).expect(200);
      await owner.post(`/datasets/${datasetId}/revoke`).send({relation: 'read', userArray: [PEOPLE.direct]}).expect(200);
      await direct.get(`/datasets/${datasetId}`).expect(404);
      expect(ids(await direct.get('/datasets').expect(200))).to.not.containEql(datasetId);
    });

    it('stops access on the next request after removal from the group', async () => {
      const {datasetId, groupId} = await seedSharedResources(world);
      const grouped = await world.as('group');
      await grouped.get(`/datasets/${datasetId}`).expect(200);
      await (await world.as('owner')).delete(`/groups/${groupId}/members/${PEOPLE.group}`).expect(200);
      await grouped.get(`/datasets/${datasetId}`).expect(404);
    });

    it('stops access through a group when the group is deleted', async () => {
      const {moduleId, groupId} = await seedSharedResources(world);
      await (await world.as('owner')).delete(`/groups/${groupId}`).expect(204);
      await (await world.as('group')).get(`/modules/${moduleId}`).expect(404);
      const access = await (await world.as('owner')).get(`/modules/${moduleId}/access`).query({type: 'group'}).expect(200);
      expect(access.body).to.deepEqual([]);
    });

    it('keeps write when read is revoked from a writer who holds both', async () => {
      const {datasetId} = await seedSharedResources(world);
      const owner = await world.as('owner');
      await owner.post(`/datasets/${datasetId}/share`).send({relation: 'read', userArray: [PEOPLE.writer]}).expect(200);
      await owner.post(`/datasets/${datasetId}/revoke`).send({relation: 'read', userArray: [PEOPLE.writer]}).expect(200);
      await (await world.as('writer')).patch(`/datasets/${datasetId}`).send({description: 'still mine to edit'}).expect(200);
    });

    it('lists access by entity type, the owner first', async () => {
      const {datasetId, groupId} = await seedSharedResources(world);
      const reader = await world.as('direct');
      const users = await reader.get(`/datasets/${datasetId}/access`).expect(200);
      expect(users.body).to.deepEqual([
        {entity: PEOPLE.owner, access: 'owner'},
        {entity: PEOPLE.direct, access: 'read'},
        {entity: PEOPLE.writer, access: 'write'},
      ]);
      expect((await reader.get(`/datasets/${datasetId}/access`).query({type: 'group'}).expect(200)).body).to.deepEqual([
        {entity: groupId, access: 'read'},
      ]);
      expect((await reader.get(`/datasets/${datasetId}/access`).query({type: 'org'}).expect(200)).body).to.deepEqual([
        {entity: SHARED_ORG, access: 'read'},
      ]);
      await reader.get(`/datasets/${datasetId}/access`).query({type: 'planet'}).expect(400);
    });

    it('refuses malformed emails, unknown groups, bad relations and empty shares with 400, granting nothing', async () => {
      const {datasetId} = await seedSharedResources(world);
      const owner = await world.as('owner');
      const before = (await owner.get(`/datasets/${datasetId}/access`).expect(200)).body;
      const bad = [
        {relation: 'read', userArray: ['good@lab.org', 'not an email']},
        {relation: 'read', groupArray: ['no-such-group']},
        {relation: 'owner', userArray: ['good@lab.org']},
        {relation: 'read'},
        {relation: 'read', orgArray: ['  ']},
        {relation: 'read', userArray: 'good@lab.org'},
      ];
      for (const body of bad) {
        const res = await owner.post(`/datasets/${datasetId}/share`).send(body).expect(400);
        expect(res.body.error.message).to.be.a.String();
      }
      expect((await owner.get(`/datasets/${datasetId}/access`).expect(200)).body).to.deepEqual(before);
    });

    it('grants by organisation to everyone whose email domain is that organisation', async () => {
      const {moduleId} = await seedSharedResources(world);
      await (await world.as(`someone.else@${SHARED_ORG}`)).get(`/modules/${moduleId}`).expect(200);
      await (await world.as('someone.else@other-org.org')).get(`/modules/${moduleId}`).expect(404);
    });
  });
});
